/**
 * Rootless: NodePort and LoadBalancer Services are forwarded from the host through rootlesskit as
 * they come and go (ports below 1024 at 10000+port), and each Service gets an event saying where
 * (and, for a moved port, why).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { RootlessKitClient } from '../../rootlesskit/index.js';
import { run, waitFor } from '../helpers/index.js';
import { kubectlAsUser } from '../helpers/users.js';
import { startRootlessCluster } from './rootless-cluster.js';

test('NodePort and LoadBalancer Services are forwarded from the host and unforwarded when deleted', { timeout: 180_000 }, async (t) => {
  const cluster = await startRootlessCluster(t, 'k3st', 'ports', { disableAgent: true });
  if (typeof cluster === 'string') return assert.fail(cluster);
  const { user, server, port } = cluster;
  const kubectl = (...args: string[]) => run('runuser', kubectlAsUser(user, args));
  const rootlesskit = new RootlessKitClient(join(user.home, '.rancher/k3s/rootless/api.sock'));
  const forwarded = async (): Promise<string[]> => (await rootlesskit.listPorts()).map((p) => `${p.spec.proto}:${p.spec.parentPort}->${p.spec.childPort}`).sort();

  const nodePort = 30000 + (port % 2000);
  const np = await kubectl('create', 'service', 'nodeport', 'web', '--tcp=8080:8080', `--node-port=${nodePort}`);
  assert.equal(np.code, 0, np.stderr);
  const lb = await kubectl('create', 'service', 'loadbalancer', 'front', '--tcp=80:8080');
  assert.equal(lb.code, 0, lb.stderr);
  const lbNodePort = Number((await kubectl('get', 'svc', 'front', '-o', 'jsonpath={.spec.ports[0].nodePort}')).stdout);
  assert.ok(lbNodePort >= 30000, 'the LoadBalancer service got a node port');

  const expected = [`tcp:${nodePort}->${nodePort}`, 'tcp:10080->80', `tcp:${lbNodePort}->${lbNodePort}`, `tcp:${port}->${port}`].sort();
  await waitFor('the service ports forwarded', async () => JSON.stringify(await forwarded()) === JSON.stringify(expected), 20_000).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await forwarded()).join(', ')}\n${server.output().slice(-3000)}`);
  });
  const events = await waitFor('the forwarding event', async () => {
    const r = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=front', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}');
    return r.stdout.includes('RootlessPortForward') ? r.stdout : undefined;
  }, 20_000);
  assert.match(events, /RootlessPortForward: reachable from the host on 127\.0\.0\.1 \(host port -> port\): 10080\/tcp->80/);
  // Why port 80 moved, and where to: a user cannot bind ports below the host's unprivileged start.
  assert.match(events, /port 80 is forwarded from 10080 because ports below the host's net\.ipv4\.ip_unprivileged_port_start \(1024\) cannot be bound by a user/);

  const del = await kubectl('delete', 'service', 'web', 'front');
  assert.equal(del.code, 0, del.stderr);
  await waitFor('only the API port left', async () => JSON.stringify(await forwarded()) === JSON.stringify([`tcp:${port}->${port}`]), 20_000);
});
