/**
 * Shared by the kubectl e2e files: a real `k3s server --disable-agent` on a free port with its own
 * data dir and kubeconfig, and the real kubectl pointed at it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, k3s, K3S_BIN, run, spawnTracked, tempDir, waitFor, type RunResult, type Tracked } from '../helpers/index.js';

interface Cleanup {
  after(fn: () => unknown): void;
}

export interface Cluster {
  readonly dir: string;
  readonly port: number;
  readonly kubeconfig: string;
  readonly server: Tracked;
  /** Runs kubectl against this cluster (own discovery cache). */
  kubectl(args: readonly string[], options?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<RunResult>;
}

export async function startCluster(t: Cleanup, extraArgs: readonly string[] = []): Promise<Cluster> {
  const dir = tempDir(t, 'k3s-e2e-');
  const port = await freePort();
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const server = spawnTracked(t, process.execPath, [K3S_BIN, 'server', '--disable-agent', '-d', join(dir, 'data'), '--https-listen-port', String(port), '--write-kubeconfig', kubeconfig, ...extraArgs], {
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  await waitFor(
    'k3s server to report "k3s is up"',
    () => {
      if (server.child.exitCode !== null) throw new Error(`k3s server exited with ${server.child.exitCode}:\n${server.output()}`);
      return server.output().includes('"k3s is up"') && existsSync(kubeconfig);
    },
    60_000,
    50,
  );
  const cacheDir = join(dir, 'kube-cache');
  return {
    dir,
    port,
    kubeconfig,
    server,
    kubectl: (args, options = {}) =>
      run('kubectl', args, {
        ...(options.input !== undefined ? { input: options.input } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, HOME: cacheDir, ...options.env },
      }),
  };
}

export { k3s };
