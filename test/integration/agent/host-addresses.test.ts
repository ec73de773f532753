/**
 * The node's own address (default node IP, the API server's advertised address, the serving
 * certificate's SANs) is never the pod network's: inside a fresh network namespace the agent's
 * cni0 gets a lower interface index than the uplink, so it lists first.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILD_ROOT } from '../../helpers/index.js';
import { createNetNamespace } from '../../helpers/netns.js';

test('the host addresses skip cni0 and other pod-network interfaces, whatever their order', async (t) => {
  const ns = await createNetNamespace(t, 'addrs');
  for (const args of [
    ['link', 'add', 'cni0', 'type', 'bridge'],
    ['addr', 'add', '10.42.0.1/24', 'dev', 'cni0'],
    ['link', 'set', 'cni0', 'up'],
    ['link', 'add', 'flannel.1', 'type', 'bridge'],
    ['addr', 'add', '10.42.0.0/32', 'dev', 'flannel.1'],
  ]) {
    const r = await ns.run('ip', args);
    assert.equal(r.code, 0, r.stderr);
  }
  const order = await ns.run('ip', ['-o', 'link']);
  assert.ok(order.stdout.indexOf('cni0') < order.stdout.indexOf(ns.iface), `cni0 lists before the uplink here:\n${order.stdout}`);
  const net = join(BUILD_ROOT, 'src/config/net.js');
  const script = `import(${JSON.stringify(net)}).then((m) => console.log(JSON.stringify({ node: m.defaultNodeIP(), all: m.hostAddresses().map((a) => a.address) })))`;
  const r = await ns.run(process.execPath, ['-e', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { node: ns.nodeIP, all: [ns.nodeIP] });
});
