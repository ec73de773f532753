/**
 * Starts runnables in order, stops them in reverse order on SIGTERM/SIGINT (or abort), and
 * turns a failure of any one into a clean shutdown of all.
 */
import { logger } from '../log/index.js';
import type { Runnable } from './runnable.js';

export interface SupervisorOptions {
  /** Installs SIGTERM/SIGINT handlers; off in tests that drive shutdown themselves. */
  readonly handleSignals: boolean;
}

export class Supervisor {
  readonly #runnables: Runnable[] = [];
  readonly #controller = new AbortController();
  readonly #started: { runnable: Runnable; controller: AbortController }[] = [];

  constructor(private readonly options: SupervisorOptions = { handleSignals: true }) {}

  add(runnable: Runnable): this {
    this.#runnables.push(runnable);
    return this;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Starts everything in order; resolves when the process should exit, with its exit code. */
  async run(): Promise<number> {
    const log = logger('supervisor');
    const onSignal = (sig: NodeJS.Signals): void => {
      log.info({ signal: sig }, 'shutting down');
      this.#controller.abort(new Error(`received ${sig}`));
    };
    if (this.options.handleSignals) {
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    }
    let code = 0;
    try {
      for (const runnable of this.#runnables) {
        if (this.#controller.signal.aborted) break;
        const t0 = performance.now();
        // Each runnable has its own signal so shutdown can stop them one at a time, last first.
        const controller = new AbortController();
        this.#started.push({ runnable, controller });
        // A start that waits (an agent retrying its join) must still end on SIGTERM.
        const forward = (): void => controller.abort(this.#controller.signal.reason);
        this.#controller.signal.addEventListener('abort', forward, { once: true });
        try {
          await runnable.start(controller.signal);
        } finally {
          this.#controller.signal.removeEventListener('abort', forward);
        }
        log.info({ runnable: runnable.name, ms: Math.round(performance.now() - t0) }, 'ready');
      }
      if (!this.#controller.signal.aborted) {
        // Hold the event loop open until told to stop: a server whose components are all idle
        // must keep running, not exit because no handle happens to be active.
        const keepAlive = setInterval(() => undefined, 1 << 30);
        await new Promise<void>((resolve) => this.#controller.signal.addEventListener('abort', () => resolve(), { once: true }));
        clearInterval(keepAlive);
      }
    } catch (err) {
      log.error({ err }, 'startup failed');
      code = 1;
      this.#controller.abort(err);
    } finally {
      for (const { runnable, controller } of this.#started.reverse()) {
        try {
          controller.abort(this.#controller.signal.reason);
          await runnable.stopped?.();
        } catch (err) {
          log.warn({ err, runnable: runnable.name }, 'error while stopping');
        }
      }
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    return code;
  }

  /** Stops everything (same as SIGTERM). */
  stop(reason?: unknown): void {
    this.#controller.abort(reason);
  }
}
