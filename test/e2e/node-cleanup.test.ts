/**
 * Nothing a node's containerd started outlives the node's stop, even when k3s, containerd and
 * the containerd-shims were killed while pods ran: that is the state in which container
 * processes used to survive (a container is its shim's child, so killing the shim reparents it
 * to PID 1 where nothing ever stops it). Checked for the node tests' own clean-up
 * (node-cluster.ts) and for k3s-killall.sh.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { containerdPaths, CriClient } from '../../src/agent/index.js';
import { REPO_ROOT, waitFor } from '../helpers/index.js';
import { describeProcess, killNow, listProcesses, readProcess, stillRunning, type ProcessInfo } from '../helpers/processes.js';
import { runtimeProcesses } from '../integration/agent/runtime-cleanup.js';
import { canRunNodeCluster, startNodeCluster, type NodeCluster } from './node-cluster.js';
import { podOnNode } from './pod-manifest.js';

const skip = canRunNodeCluster ? false : 'needs root (containerd, CNI, iptables)';

/** `pid` and every process below it, by parent links. */
function withDescendants(pid: number, all: readonly ProcessInfo[]): ProcessInfo[] {
  const self = all.find((p) => p.pid === pid);
  const children = all.filter((p) => p.ppid === pid).flatMap((c) => withDescendants(c.pid, all));
  return self ? [self, ...children] : children;
}

interface RunningNode {
  readonly cluster: NodeCluster;
  readonly paths: ReturnType<typeof containerdPaths>;
  /** The runtime's sandbox and container ids. */
  readonly ids: Set<string>;
  /** Every process of the pods: pause, the workloads and what they forked. */
  readonly watched: ProcessInfo[];
}

/** A node running a busy pod (with a forked child) and an idle one: the shapes found left running. */
async function runningNode(t: { after(fn: () => unknown): void }, label: string): Promise<RunningNode> {
  const cluster = await startNodeCluster(t, [], { label });
  for (const [name, command] of [['busy', 'sleep 3600 & while :; do :; done'], ['idle', 'sleep 3600']] as const) {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: podOnNode(name, cluster.node, command, { grace: 0 }) });
    assert.equal(r.code, 0, r.stderr);
  }
  await waitFor('both pods Running', async () => ((await cluster.kubectl(['get', 'pods', '--no-headers'])).stdout.match(/1\/1\s+Running/g) ?? []).length === 2, 90_000, 250);
  const paths = containerdPaths(cluster.dataDir, { rootless: false });
  const cri = new CriClient(paths.socket);
  let ids: Set<string>;
  try {
    ids = new Set([...(await cri.listPodSandbox()).map((s) => s.id), ...(await cri.listContainers()).map((c) => c.id)]);
  } finally {
    cri.close();
  }
  // The processes as the shims started them (each task's init.pid in its bundle) and what they
  // forked: found without the cgroup matching that the clean-ups themselves rely on.
  const all = listProcesses();
  const watched = [...ids].flatMap((id) => withDescendants(Number(readFileSync(join(paths.state, 'io.containerd.runtime.v2.task', 'k8s.io', id, 'init.pid'), 'utf8')), all));
  assert.ok(watched.some((p) => p.argv.join(' ') === 'sleep 3600'), `no sleep among ${watched.map(describeProcess).join('; ')}`);
  assert.ok(watched.length >= 5, `two pause and three workload processes expected: ${watched.map(describeProcess).join('; ')}`);
  return { cluster, paths, ids, watched };
}

/** Kills k3s by PID, as a crash or an unclean test stop would. */
async function killK3s(cluster: NodeCluster): Promise<void> {
  cluster.server.child.kill('SIGKILL');
  await cluster.server.exited;
}

/** Kills shims by PID and waits until they are gone: their containers stay, adopted by PID 1. */
async function killShims(shims: readonly ProcessInfo[]): Promise<void> {
  for (const shim of shims) killNow(shim.pid);
  await waitFor('shims gone', () => shims.every((s) => !stillRunning(s)), 10_000, 50);
}

function orphans(watched: readonly ProcessInfo[]): ProcessInfo[] {
  return watched.filter((p) => {
    const now = readProcess(p.pid);
    return now?.startTime === p.startTime && now.ppid === 1;
  });
}

test('a node test leaves no container process behind, even after k3s, containerd and the shims were killed under running pods', { skip, timeout: 300_000 }, async (t) => {
  let node: RunningNode | undefined;
  await t.test('pods run on a node whose k3s, containerd and shims are then killed', async (st) => {
    node = await runningNode(st, 'leak');
    const { cluster, paths, ids, watched } = node;
    // What a test that stops its node uncleanly does: k3s, then containerd, then every shim.
    await killK3s(cluster);
    const containerd = listProcesses().find((p) => p.argv.includes(paths.configFile));
    assert.ok(containerd, 'containerd of the node not found');
    killNow(containerd.pid);
    const shims = runtimeProcesses(paths.socket, ids).shims;
    assert.ok(shims.length >= 2, `shims expected: ${shims.length}`);
    await killShims(shims);
    // The containers live on without them: the leak the clean-up must handle.
    await waitFor('the pods adopted by PID 1', () => orphans(watched).length >= 4, 10_000, 50).catch(() => undefined);
    const adopted = orphans(watched);
    assert.ok(adopted.length >= 4, `container processes expected alive under PID 1: ${adopted.map(describeProcess).join('; ')}`);
  });

  // The subtest's clean-up has run: none of its container processes may be left.
  assert.ok(node);
  assert.deepEqual(node.watched.filter(stillRunning).map(describeProcess), []);
  const { containers, shims } = runtimeProcesses(node.paths.socket, node.ids);
  assert.deepEqual([...containers, ...shims].map(describeProcess), []);
});

test('k3s-killall.sh kills every container of a crashed node: those of a live shim, and the orphans of a dead one', { skip, timeout: 300_000 }, async (t) => {
  const { cluster, paths, ids, watched } = await runningNode(t, 'killall');
  // A crash: k3s and containerd killed, and one pod's shim too (containerd, if it still ran,
  // would clean up after that shim itself), so its container is nobody's child any more.
  await killK3s(cluster);
  const containerd = listProcesses().find((p) => p.argv.includes(paths.configFile));
  assert.ok(containerd, 'containerd of the node not found');
  killNow(containerd.pid);
  const shims = runtimeProcesses(paths.socket, ids).shims;
  const busy = shims.filter((s) => watched.some((p) => p.ppid === s.pid && p.argv.join(' ').includes('do :; done')));
  assert.equal(busy.length, 1, `the shim of the busy container among ${shims.map(describeProcess).join('; ')}`);
  await killShims(busy);
  const busyAdopted = (): boolean => orphans(watched).some((p) => p.argv.join(' ').includes('do :; done'));
  await waitFor('the busy loop adopted by PID 1', busyAdopted, 10_000, 50).catch(() => undefined);
  assert.ok(busyAdopted(), 'the busy loop adopted by PID 1');

  // The node's packet filter rules are there (service proxy, masquerading), beside one of someone else's.
  const rules = async (): Promise<string> => (await cluster.netns.run('iptables-save', [])).stdout;
  assert.match(await rules(), /KUBE-SERVICES/);
  assert.match(await rules(), /K3S-POD-MASQ/);
  assert.equal((await cluster.netns.run('iptables', ['-A', 'INPUT', '-s', '192.0.2.7/32', '-m', 'comment', '--comment', 'not k3s', '-j', 'DROP'])).code, 0);

  // The install's killall, for an install whose server runs with this data dir. Inside the
  // node's namespace: it deletes the node's cni0 bridge and its rules.
  const lib = join(cluster.dir, 'install/lib/k3s');
  const env = { ...process.env, INSTALL_K3S_LIB_DIR: lib, INSTALL_K3S_BIN_DIR: join(cluster.dir, 'install/bin'), INSTALL_K3S_EXEC: `server -d ${cluster.dataDir}` };
  const killall = await cluster.netns.run('bash', [join(REPO_ROOT, 'install.sh'), '--killall'], { env, timeoutMs: 60_000 });
  assert.equal(killall.code, 0, `${killall.stdout}\n${killall.stderr}`);
  await waitFor('every container process gone', () => watched.every((p) => !stillRunning(p)), 10_000, 100).catch(() => undefined);
  assert.deepEqual(watched.filter(stillRunning).map(describeProcess), [], killall.stdout);
  const left = runtimeProcesses(paths.socket, ids);
  assert.deepEqual([...left.containers, ...left.shims].map(describeProcess), [], killall.stdout);
  const after = await rules();
  assert.doesNotMatch(after, /(KUBE|K3S|CNI)-/, killall.stdout);
  assert.match(after, /-A INPUT -s 192\.0\.2\.7\/32 .*not k3s.* -j DROP/, 'other rules stay');
});
