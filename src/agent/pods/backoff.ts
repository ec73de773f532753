/**
 * Upstream's container restart back-off: the first restart is immediate, then 10 s doubling up
 * to 5 min; an entry untouched for twice the cap is forgotten (the container ran long enough).
 * The same shape serves image pulls (ImagePullBackOff).
 */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

export class Backoff {
  readonly #entries = new Map<string, { delayMs: number; at: number }>();

  constructor(
    private readonly initialMs = BACKOFF_INITIAL_MS,
    private readonly maxMs = BACKOFF_MAX_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Milliseconds left before `key` may be retried, counted from `sinceMs` (upstream counts from
   * the container's finish time); 0 when it may go now.
   */
  remaining(key: string, sinceMs?: number): number {
    const entry = this.#entries.get(key);
    if (!entry) return 0;
    if (this.now() - entry.at > 2 * this.maxMs) {
      this.#entries.delete(key);
      return 0;
    }
    return Math.max(0, entry.delayMs - (this.now() - (sinceMs ?? entry.at)));
  }

  /** The current back-off duration of `key` (0 if none). */
  delayMs(key: string): number {
    return this.#entries.get(key)?.delayMs ?? 0;
  }

  /** Records an attempt: the next retry waits longer. */
  next(key: string): void {
    const entry = this.#entries.get(key);
    const delayMs = entry && this.now() - entry.at <= 2 * this.maxMs ? Math.min(entry.delayMs * 2, this.maxMs) : this.initialMs;
    this.#entries.set(key, { delayMs, at: this.now() });
  }

  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets every key with this prefix (a pod that is gone). */
  forgetPrefix(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}
