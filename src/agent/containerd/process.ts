/**
 * containerd as a supervised child process: config written at each start, a stale socket and
 * its .ttrpc sibling removed (containerd refuses to start on them), ready once CRI answers
 * Version, restarted with exponential backoff if it dies, SIGTERM (then SIGKILL) on shutdown.
 * Containers keep running across a containerd restart: their shims are separate processes.
 * A containerd that an earlier, killed k3s left running is stopped first (leftover.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { logger } from '../../log/index.js';
import type { Runnable } from '../../supervisor/runnable.js';
import { CriClient } from '../cri/index.js';
import { sleep } from '../../supervisor/sleep.js';
import { containerdConfigToml, type ContainerdSettings } from './config.js';
import { recordContainerdPid, stopLeftoverContainerd } from './leftover.js';

const log = logger('containerd');

export interface ContainerdOptions {
  readonly binary?: string;
  /** How long to wait for CRI to answer after spawning (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** First restart delay (doubles up to 30 s). */
  readonly restartBaseMs?: number;
}

/** How often a starting containerd is asked whether it answers CRI yet. */
const READY_POLL_MS = 20;

export class Containerd implements Runnable {
  readonly name = 'containerd';
  #child: ChildProcess | undefined;
  #stopped: Promise<void> = Promise.resolve();
  #restarts = 0;

  constructor(
    private readonly settings: ContainerdSettings,
    private readonly options: ContainerdOptions = {},
  ) {}

  get socket(): string {
    return this.settings.paths.socket;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get restarts(): number {
    return this.#restarts;
  }

  async start(signal: AbortSignal): Promise<void> {
    const { paths } = this.settings;
    for (const dir of [dirname(paths.configFile), paths.root, paths.state, paths.cniConfDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(paths.configFile, containerdConfigToml(this.settings), { mode: 0o600 });
    const leftover = await stopLeftoverContainerd(this.#pidFile, paths.configFile);
    if (leftover !== undefined) log.warn({ pid: leftover }, 'stopped a containerd that an earlier k3s of this data dir left running (k3s was killed or crashed); its containers keep running');
    await this.#spawnAndWait(signal);
    this.#stopped = this.#superviseUntil(signal);
  }

  stopped(): Promise<void> {
    return this.#stopped;
  }

  /** Where the running containerd's PID is kept for the next start (see leftover.ts). */
  get #pidFile(): string {
    return join(dirname(this.settings.paths.configFile), 'containerd.pid');
  }

  async #spawnAndWait(signal: AbortSignal): Promise<void> {
    const { paths } = this.settings;
    rmSync(paths.socket, { force: true });
    rmSync(`${paths.socket}.ttrpc`, { force: true });
    const logFd = openSync(paths.log, 'a', 0o600);
    const child = spawn(this.options.binary ?? 'containerd', ['--config', paths.configFile], {
      stdio: ['ignore', logFd, logFd],
      // containerd must not die with a Ctrl-C aimed at k3s before k3s has stopped it.
      detached: true,
    });
    closeSync(logFd);
    this.#child = child;
    if (child.pid !== undefined) recordContainerdPid(this.#pidFile, child.pid);
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown'));
      child.once('error', (err) => resolve(err.message));
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    const cri = new CriClient(paths.socket, { timeoutMs: 2000 });
    try {
      for (;;) {
        if (signal.aborted) {
          // Stopped while it starts (SIGTERM during the agent's start, or another component's
          // failure ending start-up): it must not outlive k3s.
          await terminate(child);
          throw new Error('aborted while starting containerd');
        }
        // containerd answers ~60-150 ms after its spawn: a finer poll than 100 ms takes up to
        // ~80 ms off every node start, for a handful of failed connects to a missing socket.
        const gone = await Promise.race([exited, sleep(READY_POLL_MS).then(() => undefined)]);
        if (gone !== undefined) throw new Error(`containerd exited (${gone}) while starting; see ${paths.log}`);
        try {
          const version = await cri.version(1000);
          log.info({ pid: child.pid, version: version.runtimeVersion, socket: paths.socket }, 'containerd is ready');
          return;
        } catch {
          if (Date.now() > deadline) {
            child.kill('SIGKILL');
            throw new Error(`containerd did not answer CRI on ${paths.socket} within ${this.options.readyTimeoutMs ?? 30_000} ms; see ${paths.log}`);
          }
        }
      }
    } finally {
      cri.close();
    }
  }

  async #superviseUntil(signal: AbortSignal): Promise<void> {
    let backoff = this.options.restartBaseMs ?? 1000;
    while (!signal.aborted) {
      const child = this.#child;
      if (!child) return;
      const result = await waitExitOrAbort(child, signal);
      if (result === 'aborted') {
        await terminate(child);
        log.info('containerd stopped');
        return;
      }
      log.warn({ exit: result, restartInMs: backoff }, 'containerd exited unexpectedly; restarting');
      await sleep(backoff, signal);
      if (signal.aborted) return;
      try {
        await this.#spawnAndWait(signal);
        this.#restarts++;
        backoff = this.options.restartBaseMs ?? 1000;
      } catch (err) {
        log.error({ err }, 'restarting containerd failed');
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }
}

function waitExitOrAbort(child: ChildProcess, signal: AbortSignal): Promise<number | string | 'aborted'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode ?? 'unknown');
  return new Promise((resolve) => {
    const onAbort = (): void => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('exit', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      resolve(code ?? sig ?? 'unknown');
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
