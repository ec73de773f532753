/**
 * `k3s server --rootless` with its agent, as a throwaway unprivileged user: containerd runs
 * inside the rootlesskit namespaces, the node turns Ready, a busybox pod runs with a pod IP,
 * a pod reaches a server on the host (masqueraded to the namespace's address, then through
 * slirp4netns) and a graceful delete stops it. Everything dies with the namespaces when the user's
 * processes are killed, so nothing outlives the test.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { freePort, waitFor } from '../helpers/index.js';
import { podOnNode } from './pod-manifest.js';
import { startRootlessCluster } from './rootless-cluster.js';

const canRun = process.getuid?.() === 0;

test('k3s server --rootless runs pods on its own node', { skip: !canRun && 'needs root to create a test user', timeout: 240_000 }, async (t) => {
  const cluster = await startRootlessCluster(t, 'k3sag', 'agent');
  if (typeof cluster === 'string') return t.skip(cluster);
  const { node, kubectl, fail, readyMs } = cluster;
  const runtime = (await kubectl(['get', 'node', node, '-o', 'jsonpath={.status.nodeInfo.containerRuntimeVersion}'])).stdout;
  assert.match(runtime, /^containerd:\/\//);

  const createdAt = Date.now();
  const applied = await kubectl(['apply', '-f', '-'], podOnNode('rootless-sleeper', node, "trap 'exit 0' TERM; echo up; sleep 3600 & wait"));
  assert.equal(applied.code, 0, applied.stderr);
  await waitFor('pod Running 1/1', async () => /^rootless-sleeper\s+1\/1\s+Running/m.test((await kubectl(['get', 'pod', 'rootless-sleeper', '--no-headers'])).stdout), 60_000, 100).catch(async (err: Error) => {
    fail(new Error(`${err.message}\n${(await kubectl(['get', 'events'])).stdout}`));
  });
  const runningMs = Date.now() - createdAt;
  const ip = (await kubectl(['get', 'pod', 'rootless-sleeper', '-o', 'jsonpath={.status.podIP}'])).stdout;
  assert.match(ip, /^10\.42\.0\.\d+$/, 'the pod has an address on the bridge inside the namespaces');

  // Egress: a server on one of the host's own addresses (not loopback: rootlesskit runs with
  // --disable-host-loopback) answers a pod.
  const hostIP = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.42.'))?.address;
  assert.ok(hostIP, 'the host has a non-loopback IPv4 address');
  {
    const server = createServer((socket) => socket.end('hello-from-the-host\n'));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, hostIP, resolve));
    t.after(() => new Promise((resolve) => server.close(resolve)));
    const egress = await kubectl(['apply', '-f', '-'], podOnNode('rootless-egress', node, `until nc -w 2 ${hostIP} ${port} > /tmp/answer; do sleep 1; done; cat /tmp/answer; sleep 3600`, { grace: 1 }));
    assert.equal(egress.code, 0, egress.stderr);
    await waitFor('the pod got the host server\'s answer', async () => (await kubectl(['logs', 'rootless-egress'])).stdout.includes('hello-from-the-host'), 90_000, 500).catch(fail);
    t.diagnostic(`rootless: a pod reached ${hostIP}:${port} on the host`);
  }

  // The container traps SIGTERM: a graceful delete completes well within its grace period.
  const deleting = Date.now();
  const deleted = await kubectl(['delete', 'pod', 'rootless-sleeper', '--grace-period=20'], undefined);
  assert.equal(deleted.code, 0, deleted.stderr);
  const deleteMs = Date.now() - deleting;
  assert.ok(deleteMs < 10_000, `delete took ${deleteMs} ms`);
  t.diagnostic(`rootless: server start -> node Ready ${readyMs} ms; pod apply -> Running ${runningMs} ms; graceful delete ${deleteMs} ms`);
});
