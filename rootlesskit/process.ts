/**
 * Starts rootlesskit as a child process and tells when it is ready: the API socket answers and
 * the child is running. If rootlesskit exits before that, the error carries what it printed,
 * since that is where its reasons are ("No subuid ranges found", tun permission denied, ...).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { RootlessKitClient, type RootlessKitInfo } from './api-client.js';
import { rootlessKitArgv, type RootlessKitSettings } from './settings.js';

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Prefix for the command line, e.g. ['runuser', '-u', 'alice', '--'] in tests run as root. */
  readonly wrapper?: readonly string[];
  /** Receives rootlesskit's and the child's output; when absent it is inherited. */
  readonly onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  readonly readyTimeoutMs?: number;
}

export interface RootlessKitInstance {
  readonly process: ChildProcess;
  readonly client: RootlessKitClient;
  readonly info: RootlessKitInfo;
  /** Resolves with the exit code (128+signal when killed). */
  readonly exited: Promise<number>;
  /** SIGTERM (rootlesskit tears the namespaces down), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number>;
}

export class RootlessKitStartError extends Error {
  override readonly name = 'RootlessKitStartError';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output.trim() ? `${message}\n--- rootlesskit said ---\n${tail(output, 20)}` : message);
  }
}

export async function startRootlessKit(settings: RootlessKitSettings, options: StartOptions = {}): Promise<RootlessKitInstance> {
  const argv = [...(options.wrapper ?? []), settings.binary ?? 'rootlesskit', ...rootlessKitArgv(settings)];
  const piped = options.onOutput !== undefined;
  const child = spawn(argv[0]!, argv.slice(1), { env: options.env ?? process.env, stdio: piped ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'] });
  let output = '';
  const record = (stream: 'stdout' | 'stderr') => (data: Buffer) => {
    const text = data.toString();
    output = tail(output + text, 200);
    options.onOutput?.(text, stream);
  };
  child.stdout?.on('data', record('stdout'));
  child.stderr?.on('data', record('stderr'));
  let spawnError: Error | undefined;
  const exited = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      spawnError = err;
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1)));
  });
  const stop = async (graceMs = 5000): Promise<number> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const client = new RootlessKitClient(join(settings.stateDir, 'api.sock'), 1000);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    if (done) {
      if (spawnError) {
        const code = (spawnError as NodeJS.ErrnoException).code;
        throw new RootlessKitStartError(code === 'ENOENT' ? `${argv[0]} was not found on PATH: install rootlesskit (Debian: apt-get install rootlesskit)` : `cannot run ${argv[0]}: ${spawnError.message}`, output);
      }
      throw new RootlessKitStartError(`rootlesskit exited with code ${await exited} before it was ready`, output);
    }
    try {
      const info = await client.info();
      if (info.childPID > 0) return { process: child, client: new RootlessKitClient(client.socketPath), info, exited, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop(1000);
      throw new RootlessKitStartError(`rootlesskit did not become ready within ${options.readyTimeoutMs ?? 15_000} ms (no answer on ${client.socketPath})`, output);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function tail(text: string, lines: number): string {
  const all = text.split('\n');
  return all.slice(Math.max(0, all.length - lines - 1)).join('\n');
}
