/**
 * ServiceLB through the real kubectl against `k3s server` (no agent: a Node is registered by
 * hand with an address and a Ready condition, as a kubelet would): a LoadBalancer Service shows
 * the node address as EXTERNAL-IP with an UpdatedLoadBalancer event; a second one on the same port
 * stays <pending> with LoadBalancerPortInUse; with --disable servicelb nothing is filled in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/index.js';
import { startCluster, type Cluster } from './kubectl-cluster.js';

async function registerNode(c: Cluster, name: string, ip: string): Promise<void> {
  const created = await c.kubectl(['create', '-f', '-'], { input: `apiVersion: v1\nkind: Node\nmetadata: { name: ${name} }\n` });
  assert.equal(created.code, 0, created.stderr);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = { status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] } };
  const patched = await c.kubectl(['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  assert.equal(patched.code, 0, patched.stderr);
}

const externalIP = async (c: Cluster, name: string): Promise<string> => {
  const r = await c.kubectl(['get', 'svc', name, '--no-headers']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split(/\s+/)[3] ?? '';
};

const events = async (c: Cluster, name: string): Promise<string> =>
  (await c.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}'])).stdout;

test('kubectl get svc shows the node address as EXTERNAL-IP; a second Service on the same port stays pending', { timeout: 120_000 }, async (t) => {
  const c = await startCluster(t);
  await registerNode(c, 'lb-node', '192.0.2.44');
  assert.equal((await c.kubectl(['create', 'service', 'loadbalancer', 'web', '--tcp=8080:80'])).code, 0);
  await waitFor('EXTERNAL-IP', async () => (await externalIP(c, 'web')) === '192.0.2.44', 30_000, 300);
  assert.match(await events(c, 'web'), /UpdatedLoadBalancer: Updated LoadBalancer with new IPs: \[\] -> \[192\.0\.2\.44\]/);

  await new Promise((r) => setTimeout(r, 1100)); // creation times have one-second resolution: make "older" unambiguous
  assert.equal((await c.kubectl(['create', 'service', 'loadbalancer', 'web2', '--tcp=8080:80'])).code, 0);
  await waitFor('conflict event', async () => (await events(c, 'web2')).includes('LoadBalancerPortInUse: port 8080/TCP is already used by LoadBalancer service default/web'), 30_000, 300);
  assert.equal(await externalIP(c, 'web2'), '<pending>');
  assert.equal((await c.kubectl(['delete', 'service', 'web'])).code, 0);
  await waitFor('the port freed goes to the second', async () => (await externalIP(c, 'web2')) === '192.0.2.44', 30_000, 300);
});

test('--disable servicelb leaves LoadBalancer Services pending', { timeout: 120_000 }, async (t) => {
  const c = await startCluster(t, ['--disable', 'servicelb']);
  await registerNode(c, 'lb-node', '192.0.2.45');
  assert.equal((await c.kubectl(['create', 'service', 'loadbalancer', 'web', '--tcp=8080:80'])).code, 0);
  // The enabled case fills it in well within this time (above).
  await new Promise((r) => setTimeout(r, 5000));
  assert.equal(await externalIP(c, 'web'), '<pending>');
});
