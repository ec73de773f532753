/**
 * Shared test helpers: temp dirs, ports that cannot collide, processes cleaned up by PID, and
 * the paths of the built k3s CLI. Every helper registers its cleanup with the current test
 * (t.after) so nothing outlives the test that started it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the compiled tree (dist/ or a BUILD_DIR) this test runs from. */
export const BUILD_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The k3s CLI as users run it: the esbuild bundle of src/cli/main.js (scripts/bundle.mjs). */
export const K3S_BIN = join(BUILD_ROOT, 'bundle/k3s.mjs');
/** The repository checkout (for install.sh, units/, fixtures): the nearest parent with install.sh. */
export const REPO_ROOT = findRepoRoot(BUILD_ROOT);

function findRepoRoot(from: string): string {
  for (let dir = resolve(from, '..'); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'install.sh')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no checkout (install.sh + package.json) above ${from}`);
  }
}

interface Cleanup {
  after(fn: () => unknown): void;
}

export function tempDir(t: Cleanup, prefix = 'k3s-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A TCP port the kernel just handed out on 127.0.0.1; unique among concurrently running tests. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Tracked {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (or 128+signal). */
  readonly exited: Promise<number>;
}

/**
 * Spawns a process that is killed (SIGTERM, then SIGKILL after 5 s) by PID when the test ends,
 * with stdout+stderr collected for failure messages.
 */
export function spawnTracked(t: Cleanup, command: string, args: readonly string[], options: SpawnOptions = {}): Tracked {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number>((res) => {
    child.on('exit', (code, signal) => res(code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 128)));
    child.on('error', () => res(127));
  });
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });
  return { child, output: () => output, exited };
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (killed after timeoutMs), capturing its output. */
export async function run(command: string, args: readonly string[], options: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const { input, timeoutMs = 60_000, ...spawnOptions } = options;
  return new Promise((res) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      res({ code: 127, stdout, stderr: stderr + String(err) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A command that exits without reading its stdin must not fail the test with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** Runs the built k3s CLI. */
export function k3s(args: readonly string[], options: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [K3S_BIN, ...args], options);
}

/**
 * Runs the real kubectl with this test's kubeconfig and its own discovery cache dir (kubectl's
 * cache otherwise leaks between tests).
 */
export function kubectl(env: { kubeconfig: string; cacheDir: string }, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('kubectl', args, {
    ...options,
    env: { ...process.env, KUBECONFIG: env.kubeconfig, KUBECACHEDIR: env.cacheDir, HOME: env.cacheDir },
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
