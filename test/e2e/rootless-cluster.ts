/**
 * `k3s server --rootless` as a test user (made for the test), started the way that user would
 * (the build's k3s wrapper through runuser), with that user's kubeconfig and the real kubectl on
 * the host, waited for until its node is Ready.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, run, spawnTracked, waitFor, type RunResult, type Tracked } from '../helpers/index.js';
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
  const user = createTestUser(t, userPrefix);
  const problem = rootlessPrerequisiteProblem(user);
  if (problem) return problem;
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
