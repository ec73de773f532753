/**
 * `k3s server --rootless` as a test user (made for the test), started the way that user would
 * (the build's k3s wrapper through runuser), with that user's kubeconfig and the real kubectl on
 * the host, waited for until its node is Ready.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, run, spawnTracked, waitFor, type RunResult, type Tracked } from '../helpers/index.js';
import { describeProcess, killNow, listProcesses, type ProcessInfo } from '../helpers/processes.js';
import { createTestUser, k3sAsUser, rootlessPrerequisiteProblem, type TestUser } from '../helpers/users.js';

interface Cleanup {
  after(fn: () => unknown): void;
}

export interface RootlessCluster {
  readonly user: TestUser;
  readonly node: string;
  readonly server: Tracked;
  /** The API server's port, forwarded from the host. */
  readonly port: number;
  readonly kubeconfig: string;
  /** Milliseconds from spawning the server to its node Ready (to "k3s is up" with disableAgent). */
  readonly readyMs: number;
  /** The real kubectl on the host with the user's kubeconfig and its own discovery cache. */
  kubectl(args: string[], input?: string): Promise<RunResult>;
  /** Rethrows with the tail of the server's output, for waits that time out. */
  fail(err: Error): never;
}

export interface RootlessClusterOptions {
  /** `--disable-agent`: the control plane only, so there is no node to wait for. */
  disableAgent?: boolean;
}

/** Starts the cluster, or returns why this machine cannot run rootless (the caller skips). */
export async function startRootlessCluster(t: Cleanup, userPrefix: string, nodeLabel: string, options: RootlessClusterOptions = {}): Promise<RootlessCluster | string> {
  // Runs first at the end: what starts later under the user's uids (the uids may be reused by
  // a concurrent test once the user is removed) is not this instance's.
  let teardownTicks = Infinity;
  t.after(() => (teardownTicks = ticksSinceBoot()));
  const user = createTestUser(t, userPrefix);
  const problem = rootlessPrerequisiteProblem(user);
  if (problem) return problem;
  // After the user's removal (registered earlier, so it runs first): every process of this
  // instance, containers included, runs as the user or one of its subordinate uids.
  const uids = userUids(user.name, user.uid);
  t.after(() => assertNoProcessOf(user.name, (p) => uids(realUid(p)) && p.startTime <= teardownTicks));
  const port = await freePort();
  const node = `rootless-${nodeLabel}-${process.pid}`;
  const started = Date.now();
  const server = spawnTracked(t, 'runuser', k3sAsUser(user, ['server', '--rootless', '--https-listen-port', String(port), '--node-name', node, ...(options.disableAgent ? ['--disable-agent'] : [])], ['K3S_LOG_FORMAT=json']));
  const kubeconfig = join(user.home, '.kube/k3s.yaml');
  const cacheDir = join(user.home, '.kube/test-cache');
  const kubectl = (args: string[], input?: string): Promise<RunResult> =>
    run('kubectl', args, { ...(input !== undefined ? { input } : {}), env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, HOME: cacheDir } });
  const fail = (err: Error): never => {
    throw new Error(`${err.message}\n--- server output ---\n${server.output().slice(-6000)}`);
  };
  await waitFor('k3s is up', () => server.output().includes('"k3s is up"') && existsSync(kubeconfig), 60_000, 100).catch(fail);
  if (!options.disableAgent) {
    await waitFor('node Ready', async () => new RegExp(`^${node}\\s+Ready\\s`, 'm').test((await kubectl(['get', 'nodes', '--no-headers'])).stdout), 90_000, 100).catch(fail);
  }
  return { user, node, server, port, kubeconfig, readyMs: Date.now() - started, kubectl, fail };
}

/** The user's own uid and its /etc/subuid range: what the instance's processes run as on the host. */
function userUids(name: string, uid: number): (id: number) => boolean {
  const range = readFileSync('/etc/subuid', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
  const start = Number(range?.[1] ?? NaN);
  const count = Number(range?.[2] ?? 0);
  return (id) => id === uid || (id >= start && id < start + count);
}

/** Now, in the unit of /proc/PID/stat's start time (USER_HZ, 100 on Linux). */
function ticksSinceBoot(): number {
  return Math.ceil(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
}

function realUid(p: ProcessInfo): number {
  try {
    return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1] ?? -1);
  } catch {
    return -1;
  }
}

/**
 * Killing the user's processes kills rootlesskit's child, init of the instance's PID namespace,
 * and with it every process inside, containers in nested namespaces too. Checked, not assumed:
 * anything still running as the user's uids is killed and fails the test.
 */
async function assertNoProcessOf(name: string, ours: (p: ProcessInfo) => boolean): Promise<void> {
  const left = (): ProcessInfo[] => listProcesses().filter(ours);
  const survivors = await waitFor('the rootless instance gone', () => left().length === 0, 15_000, 100).then(
    () => [],
    () => left(),
  );
  if (survivors.length === 0) return;
  for (const p of survivors) killNow(p.pid);
  throw new Error(`processes of ${name}'s rootless k3s outlived the test: ${survivors.map(describeProcess).join('; ')}`);
}
