/**
 * k3s killed under a running pod (a crash, an OOM kill, `kill -9`) and started again on the same
 * data dir: the containerd the dead k3s left running still holds its database, so the new start
 * must stop it, come up, and find the pod's container still running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerdPaths } from '../../src/agent/index.js';
import { K3S_BIN, waitFor } from '../helpers/index.js';
import { listProcesses, readProcess } from '../helpers/processes.js';
import { canRunNodeCluster, podExec, startNodeCluster } from './node-cluster.js';
import { podOnNode } from './pod-manifest.js';

const skip = canRunNodeCluster ? false : 'needs root (containerd, CNI, iptables)';

test('after k3s is SIGKILLed, the next k3s on the same data dir stops the containerd it left and adopts the running pod', { skip, timeout: 300_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'crash' });
  const r = await cluster.kubectl(['apply', '-f', '-'], { input: podOnNode('survivor', cluster.node, 'sleep 3600', { grace: 0 }) });
  assert.equal(r.code, 0, r.stderr);
  await waitFor('pod Running', async () => /1\/1\s+Running/.test((await cluster.kubectl(['get', 'pod', 'survivor', '--no-headers'])).stdout), 90_000, 250);
  const before = await podExec(cluster, 'survivor', ['sh', '-c', 'echo $$; cat /proc/1/stat | cut -d" " -f22']);
  assert.equal(before.code, 0, before.out);

  cluster.server.child.kill('SIGKILL');
  await cluster.server.exited;
  const { configFile } = containerdPaths(cluster.dataDir, { rootless: false });
  const leftover = listProcesses().find((p) => p.argv.includes(configFile));
  assert.ok(leftover, 'the dead k3s left its containerd running (the state this test is about)');

  const again = cluster.netns.spawn(process.execPath, [K3S_BIN, 'server', '-d', cluster.dataDir, '--write-kubeconfig', cluster.kubeconfig, '--node-name', cluster.node], {
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  try {
    // The agent starts containerd after the control plane is up.
    await waitFor('restarted k3s has its containerd', () => {
      if (again.child.exitCode !== null) throw new Error(`k3s server exited with ${again.child.exitCode}:\n${again.output()}`);
      return again.output().includes('"containerd is ready"');
    }, 60_000, 100);
    const now = readProcess(leftover.pid);
    assert.ok(now?.startTime !== leftover.startTime || now.state === 'Z', 'the leftover containerd was stopped');
    assert.match(again.output(), /stopped a containerd that an earlier k3s of this data dir left running/);
    await waitFor('node Ready again', async () => new RegExp(`^${cluster.node}\\s+Ready\\s`, 'm').test((await cluster.kubectl(['get', 'nodes', '--no-headers'])).stdout), 60_000, 200);
    // The same container, not a restarted one: same process start time of its PID 1, no restarts.
    await waitFor('pod reported Running by the new kubelet', async () => /1\/1\s+Running\s+0\s/.test((await cluster.kubectl(['get', 'pod', 'survivor', '--no-headers'])).stdout), 60_000, 250);
    const after = await podExec(cluster, 'survivor', ['sh', '-c', 'echo $$; cat /proc/1/stat | cut -d" " -f22']);
    assert.equal(after.code, 0, after.out);
    assert.equal(after.out.split('\n')[1], before.out.split('\n')[1], 'the container was kept, not restarted');
  } finally {
    // Like the cluster's own clean-up: k3s by PID; its containerd is emptied by the cluster's.
    if (again.child.exitCode === null && again.child.signalCode === null) {
      again.child.kill('SIGKILL');
      await again.exited;
    }
  }
});
