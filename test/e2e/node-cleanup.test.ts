/**
 * The node tests' own clean-up (node-cluster.ts): nothing a test's containerd started outlives
 * the test, even when k3s, containerd and the containerd-shims were killed while pods ran. That
 * is the state in which container processes used to survive: a container is its shim's child,
 * so killing the shim reparents it to PID 1 where nothing ever stops it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { containerdPaths, CriClient } from '../../src/agent/index.js';
import { waitFor } from '../helpers/index.js';
import { describeProcess, killNow, listProcesses, readProcess, stillRunning, type ProcessInfo } from '../helpers/processes.js';
import { runtimeProcesses } from '../integration/agent/runtime-cleanup.js';
import { canRunNodeCluster, startNodeCluster } from './node-cluster.js';
import { podOnNode } from './pod-manifest.js';

const skip = canRunNodeCluster ? false : 'needs root (containerd, CNI, iptables)';

/** `pid` and every process below it, by parent links. */
function withDescendants(pid: number, all: readonly ProcessInfo[]): ProcessInfo[] {
  const self = all.find((p) => p.pid === pid);
  const children = all.filter((p) => p.ppid === pid).flatMap((c) => withDescendants(c.pid, all));
  return self ? [self, ...children] : children;
}

test('a node test leaves no container process behind, even after k3s, containerd and the shims were killed under running pods', { skip, timeout: 300_000 }, async (t) => {
  let socket = '';
  let ids = new Set<string>();
  let watched: ProcessInfo[] = [];

  await t.test('pods run on a node whose k3s, containerd and shims are then killed', async (st) => {
    const cluster = await startNodeCluster(st, [], { label: 'leak' });
    // A busy loop with a forked child, and an idle one: the shapes that were found left running.
    for (const [name, command] of [['busy', 'sleep 3600 & while :; do :; done'], ['idle', 'sleep 3600']] as const) {
      const r = await cluster.kubectl(['apply', '-f', '-'], { input: podOnNode(name, cluster.node, command, { grace: 0 }) });
      assert.equal(r.code, 0, r.stderr);
    }
    await waitFor('both pods Running', async () => ((await cluster.kubectl(['get', 'pods', '--no-headers'])).stdout.match(/1\/1\s+Running/g) ?? []).length === 2, 90_000, 250);

    const paths = containerdPaths(cluster.dataDir, { rootless: false });
    socket = paths.socket;
    const cri = new CriClient(socket);
    try {
      ids = new Set([...(await cri.listPodSandbox()).map((s) => s.id), ...(await cri.listContainers()).map((c) => c.id)]);
    } finally {
      cri.close();
    }
    // The processes as the shims started them (each task's init.pid in its bundle) and what
    // they forked: found without the cgroup matching that the clean-up itself relies on.
    const all = listProcesses();
    watched = [...ids].flatMap((id) => withDescendants(Number(readFileSync(join(paths.state, 'io.containerd.runtime.v2.task', 'k8s.io', id, 'init.pid'), 'utf8')), all));
    assert.ok(watched.some((p) => p.argv.join(' ') === 'sleep 3600'), `no sleep among ${watched.map(describeProcess).join('; ')}`);
    assert.ok(watched.length >= 5, `two pause and three workload processes expected: ${watched.map(describeProcess).join('; ')}`);

    // What a test that stops its node uncleanly does: k3s, then containerd, then every shim.
    cluster.server.child.kill('SIGKILL');
    await cluster.server.exited;
    const containerd = all.find((p) => p.argv.includes(paths.configFile));
    assert.ok(containerd, 'containerd of the node not found');
    killNow(containerd.pid);
    const shims = runtimeProcesses(socket, ids).shims;
    assert.ok(shims.length >= 2, `shims expected: ${shims.length}`);
    for (const shim of shims) killNow(shim.pid);
    await waitFor('shims gone', () => shims.every((s) => !stillRunning(s)), 10_000, 50);
    // The containers live on without them, adopted by PID 1: the leak the clean-up must handle.
    const orphans = watched.filter((p) => readProcess(p.pid)?.startTime === p.startTime && readProcess(p.pid)?.ppid === 1);
    assert.ok(orphans.length >= 4, `container processes expected alive under PID 1: ${orphans.map(describeProcess).join('; ')}`);
  });

  // The subtest's clean-up has run: none of its container processes may be left.
  const survivors = watched.filter(stillRunning);
  assert.deepEqual(survivors.map(describeProcess), []);
  const { containers, shims } = runtimeProcesses(socket, ids);
  assert.deepEqual([...containers, ...shims].map(describeProcess), []);
});
