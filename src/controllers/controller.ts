/**
 * The shape of every controller (level-triggered, as controller-runtime): informers feed a work
 * queue with keys only; workers reconcile a key from the informers' caches and the API, and are
 * safe to run again at any time. NotFound means done; a thrown error retries with backoff.
 */
import type { ApiClient } from '../client/types.js';
import type { EventRecorder } from '../client/events.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { WorkQueue } from '../client/work-queue.js';
import type { Logger } from '../log/index.js';

export interface ControllerContext {
  readonly client: ApiClient;
  readonly informers: SharedInformers;
  /** An event recorder whose source is this controller. */
  readonly events: EventRecorder;
  readonly log: Logger;
  readonly now: () => Date;
}

export interface Controller {
  readonly name: string;
  /** Asks for informers and registers handlers; runs before the informers start. */
  setup(ctx: ControllerContext): void;
  /** Runs until `signal` aborts; informers have synced when it is called. */
  run(signal: AbortSignal): Promise<void>;
}

/** A controller whose work is a queue of object keys. */
export abstract class QueueController implements Controller {
  abstract readonly name: string;
  protected readonly queue = new WorkQueue();
  protected ctx!: ControllerContext;
  protected workers = 2;

  setup(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.register(ctx);
  }

  /** Informers and handlers of this controller (handlers only enqueue keys). */
  protected abstract register(ctx: ControllerContext): void;
  protected abstract reconcile(key: string, signal: AbortSignal): Promise<void>;

  run(signal: AbortSignal): Promise<void> {
    return this.queue.run(this.workers, (key, s) => this.reconcile(key, s), signal, (key, err) => {
      this.ctx.log.warn({ key, err: err instanceof Error ? err.message : String(err), retries: this.queue.retries(key) }, 'reconcile failed; will retry');
    });
  }
}

/** A list for a merge patch: an empty one becomes null (removed), as the API omits empty lists. */
export function orNull<T>(list: T[]): T[] | null {
  return list.length > 0 ? list : null;
}
