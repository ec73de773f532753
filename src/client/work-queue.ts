/**
 * The work queue controllers run on (client-go's rate-limited queue semantics): a key is queued
 * at most once; a key re-added while a worker holds it is processed again after that worker
 * finishes, never by two workers at once; failures retry with per-key exponential backoff.
 * Event handlers only enqueue keys; all logic lives in the reconcile function.
 */

export interface BackoffOptions {
  /** First retry delay (client-go: 5 ms). */
  readonly baseMs?: number;
  /** Cap (client-go: 1000 s). */
  readonly maxMs?: number;
}

export type Reconcile = (key: string, signal: AbortSignal) => Promise<void>;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys re-added while being processed: queued again when their worker finishes. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 5;
    this.maxMs = options.maxMs ?? 1_000_000;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.wake();
  }

  /** Adds `key` after `ms`; an earlier pending delayed add of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const existing = this.timers.get(key);
    if (existing) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, timer);
  }

  /** Retries `key` after its next backoff delay. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.maxMs, this.baseMs * 2 ** n));
  }

  /** Resets `key`'s backoff (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get length(): number {
    return this.queue.length;
  }

  /**
   * Runs `workers` concurrent loops until `signal` aborts. A reconcile that throws is retried
   * with backoff; one that resolves resets the key's backoff.
   */
  async run(workers: number, reconcile: Reconcile, signal: AbortSignal, onError?: (key: string, err: unknown) => void): Promise<void> {
    const stop = (): void => this.shutDown();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.all(Array.from({ length: workers }, () => this.worker(reconcile, signal, onError)));
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.wake();
  }

  private async worker(reconcile: Reconcile, signal: AbortSignal, onError?: (key: string, err: unknown) => void): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      try {
        await reconcile(key, signal);
        this.forget(key);
      } catch (err) {
        if (!this.shuttingDown) {
          onError?.(key, err);
          this.addRateLimited(key);
        }
      } finally {
        this.done(key);
      }
    }
  }

  private async next(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.shuttingDown) return undefined;
    const key = this.queue.shift() as string;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
