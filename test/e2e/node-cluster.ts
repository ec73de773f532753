/**
 * A root `k3s server` with its agent (real containerd, CNI, pods) inside a network namespace
 * the test made, so its bridge, iptables rules and ports cannot collide with another test's or
 * the host's. kubectl runs inside the namespace too (the API server listens on its loopback);
 * the host reaches the node at `netns.nodeIP`.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerdPaths, CriClient } from '../../src/agent/index.js';
import { K3S_BIN, run, tempDir, waitFor, type RunResult, type Tracked } from '../helpers/index.js';
import { createNetNamespace, processAlive, type NetNamespace } from '../helpers/netns.js';
import { assertRuntimeGone, cleanUpRuntime, killRuntimeProcesses, removeLeftoverPodNetns } from '../integration/agent/runtime-cleanup.js';

interface Cleanup {
  after(fn: () => unknown): void;
}

export interface NodeCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly node: string;
  readonly netns: NetNamespace;
  readonly server: Tracked;
  /** Milliseconds from spawning `k3s server` to the node Ready in `kubectl get nodes`. */
  readonly readyMs: number;
  /** Runs the real kubectl inside the node's namespace, with this cluster's own discovery cache. */
  kubectl(args: readonly string[], options?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<RunResult>;
}

export { BUSYBOX } from './pod-manifest.js';

/** Root only: containerd, CNI and iptables need it. */
export const canRunNodeCluster = process.getuid?.() === 0;

export async function startNodeCluster(t: Cleanup, extraArgs: readonly string[] = [], options: { label?: string } = {}): Promise<NodeCluster> {
  // Registered first so it runs first: pods go before the server, the namespace and the dir.
  let cleanup: () => Promise<void> = async () => {};
  t.after(() => cleanup());
  const netns = await createNetNamespace(t, options.label ?? 'node');
  await removeDirsOfDeadTests();
  // Runs after the namespace's processes are killed and before the dir is removed: a container
  // process must not outlive the test (it would be orphaned for good: its shim is gone), and a
  // sandbox made while the test was ending can leave its shm or rootfs mounted under the data
  // dir, and its network namespace in /run/netns.
  let dirForMounts = '';
  t.after(async () => {
    if (!dirForMounts) return;
    try {
      await assertRuntimeGone(containerdPaths(join(dirForMounts, 'data'), { rootless: false }).socket);
    } finally {
      await unmountUnder(dirForMounts);
      await removeLeftoverPodNetns(join(dirForMounts, 'data'));
    }
  });
  const dir = tempDir(t, runDirPrefix('node'));
  dirForMounts = dir;
  const dataDir = join(dir, 'data');
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const node = `node-${netns.name.slice(5)}`;
  const cacheDir = join(dir, 'kube-cache');
  const kubectl: NodeCluster['kubectl'] = (args, opts = {}) =>
    netns.run('kubectl', args, {
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, HOME: cacheDir, ...opts.env },
    });
  const started = Date.now();
  const server = netns.spawn(process.execPath, [K3S_BIN, 'server', '-d', dataDir, '--write-kubeconfig', kubeconfig, '--node-name', node, ...extraArgs], {
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  const socket = containerdPaths(dataDir, { rootless: false }).socket;
  cleanup = async () => {
    // k3s first, by PID: once its kubelet is gone nothing makes new sandboxes or containers
    // while the runtime is emptied. containerd runs on (its own process group) and removes
    // every pod through CRI; what it cannot stop is killed, containers before their shims.
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await cleanUpRuntime(socket);
  };
  await waitFor('k3s is up', () => {
    if (server.child.exitCode !== null) throw new Error(`k3s server exited with ${server.child.exitCode}:\n${server.output()}`);
    return server.output().includes('"k3s is up"') && existsSync(kubeconfig);
  }, 60_000, 50);
  await waitFor('node Ready', async () => new RegExp(`^${node}\\s+Ready\\s`, 'm').test((await kubectl(['get', 'nodes', '--no-headers'])).stdout), 60_000, 100);
  return { dir, dataDir, kubeconfig, node, netns, server, readyMs: Date.now() - started, kubectl };
}

/**
 * Runs a command in a default-namespace pod's first running container through CRI ExecSync on
 * the node's containerd: what the pod sees, without going through kubectl's streaming path.
 */
export async function podExec(cluster: NodeCluster, pod: string, cmd: string[], timeoutSeconds = 15): Promise<{ code: number; out: string }> {
  const cri = new CriClient(containerdPaths(cluster.dataDir, { rootless: false }).socket, { timeoutMs: (timeoutSeconds + 10) * 1000 });
  try {
    const [container] = await cri.listContainers({ labelSelector: { 'io.kubernetes.pod.name': pod, 'io.kubernetes.pod.namespace': 'default' }, state: 'CONTAINER_RUNNING' as never });
    if (!container) throw new Error(`no running container for pod ${pod}`);
    const r = await cri.execSync(container.id, cmd, timeoutSeconds);
    return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
  } finally {
    cri.close();
  }
}

/** A temp dir prefix naming this process, so that a later run can clean up after a killed one. */
export function runDirPrefix(kind: 'node' | 'join'): string {
  return `k3s-${kind}-${process.pid.toString(36)}-`;
}

let sweptDeadRuns = false;

/**
 * The node dirs of test processes killed before their clean-up ran: the pods' processes, mounts
 * and the network namespaces their containerd made go with them. Runs after createNetNamespace, which
 * kills what still ran in those tests' namespaces.
 */
async function removeDirsOfDeadTests(): Promise<void> {
  if (sweptDeadRuns) return;
  sweptDeadRuns = true;
  for (const name of readdirSync(tmpdir())) {
    const m = /^k3s-(?:node|join)-([0-9a-z]+)-/.exec(name);
    if (!m || processAlive(parseInt(m[1]!, 36))) continue;
    const dir = join(tmpdir(), name);
    // Its containers outlived it (the namespace sweep killed their shims, if they still ran).
    await killRuntimeProcesses(containerdPaths(join(dir, 'data'), { rootless: false }).socket);
    await unmountUnder(dir);
    await removeLeftoverPodNetns(join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lazily unmounts every mount point below `dir`, deepest first. */
export async function unmountUnder(dir: string): Promise<void> {
  if (!dir) return;
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await run('umount', ['-l', point]);
}
