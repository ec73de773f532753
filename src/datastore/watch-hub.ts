/**
 * Watch fan-out shared by every driver. A driver feeds it committed events in revision order
 * (`publish`), from whatever source it has: SQLite publishes straight after each commit; the
 * client/server SQL drivers publish what they read back from the table, which includes writes
 * by other servers. The hub hands each watcher every matching event exactly once, in revision
 * order, and replays history for watchers that start in the past:
 *
 *   watch(startRevision <= last published)   replay [start, last] from the driver's history,
 *                                             buffering live events meanwhile, then go live
 *   watch(no start / start in the future)     live events with revision >= start
 *   start below the compact floor             onError(CompactedError)
 *
 * Listeners are called synchronously from `publish` (lowest latency); one that throws is
 * cancelled rather than allowed to disturb the writer or other watchers.
 */
import { inRange } from './keys.js';
import { logger, type Logger } from '../log/index.js';
import { CompactedError, type KeyRange, type Watch, type WatchEvent, type WatchListener, type WatchOptions } from './types.js';

export interface HistorySource {
  /**
   * Committed events with revision in [from, to] for keys in `range`, oldest first, at most
   * `limit` of them, each with its prevKv when known.
   */
  history(range: KeyRange, from: number, to: number, limit: number): Promise<WatchEvent[]>;
  /** The oldest revision still in the history (the compact floor). */
  compactRevision(): Promise<number>;
}

const REPLAY_PAGE = 1000;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private last: number;
  private closed = false;

  constructor(
    private readonly source: HistorySource,
    initialRevision: number,
    readonly log: Logger = logger('datastore'),
  ) {
    this.last = initialRevision;
  }

  /** The newest revision published so far. */
  get lastRevision(): number {
    return this.last;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * Publishes committed events (in revision order). Events at or below the last published
   * revision are ignored, so a driver may publish overlapping batches from several sources.
   */
  publish(events: readonly WatchEvent[]): void {
    const fresh = events.filter((e) => e.kv.modRevision > this.last);
    if (fresh.length === 0) return;
    this.last = fresh[fresh.length - 1]!.kv.modRevision;
    for (const w of this.watchers) w.offer(fresh);
  }

  /** Moves the published revision forward without events (revisions that hold no rows). */
  advance(revision: number): void {
    if (revision > this.last) this.last = revision;
  }

  watch(options: WatchOptions, listener: WatchListener): Watch {
    if (this.closed) {
      queueMicrotask(() => listener.onError(new Error('datastore is closed')));
      return { cancel: () => undefined };
    }
    const range: KeyRange = options.rangeEnd !== undefined ? { key: options.key, rangeEnd: options.rangeEnd } : { key: options.key };
    const start = options.startRevision ?? 0;
    const w = new Watcher(this, range, options.prevKv === true, listener);
    this.watchers.add(w);
    if (start <= 0 || start > this.last) {
      // Live only: everything from the next revision (or from a future start).
      w.goLive(Math.max(this.last, start - 1));
    } else {
      void this.replay(w, start);
    }
    return { cancel: () => this.remove(w) };
  }

  /** Ends every watch with `error` (the store failed or is closing). */
  failAll(error: Error): void {
    for (const w of [...this.watchers]) {
      this.remove(w);
      w.fail(error);
    }
  }

  close(): void {
    this.closed = true;
    for (const w of [...this.watchers]) this.remove(w);
  }

  remove(w: Watcher): void {
    this.watchers.delete(w);
    w.cancelled = true;
  }

  private async replay(w: Watcher, start: number): Promise<void> {
    try {
      const floor = await this.source.compactRevision();
      if (start < floor) throw new CompactedError(start, floor);
      let from = start;
      // Replay up to what is published now; anything later arrives through offer() meanwhile.
      const to = this.last;
      while (from <= to && !w.cancelled) {
        let page = await this.source.history(w.range, from, to, REPLAY_PAGE);
        if (w.cancelled) return;
        if (page.length < REPLAY_PAGE) {
          w.deliver(page);
          break;
        }
        // A full page may end in the middle of a revision that holds several events (an etcd
        // txn): hold that revision back for the next page unless it fills the page alone.
        const lastRev = page[page.length - 1]!.kv.modRevision;
        if (page[0]!.kv.modRevision !== lastRev) {
          page = page.filter((e) => e.kv.modRevision !== lastRev);
          from = lastRev;
        } else {
          from = lastRev + 1;
        }
        w.deliver(page);
      }
      // Compaction may have raced the replay and removed rows it needed.
      const after = await this.source.compactRevision();
      if (start < after && w.delivered < after - 1) throw new CompactedError(start, after);
      if (!w.cancelled) w.goLive(to);
    } catch (err) {
      if (w.cancelled) return;
      this.remove(w);
      w.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

class Watcher {
  cancelled = false;
  /** Highest revision handed to the listener (or skipped as before the start). */
  delivered = 0;
  private live = false;
  private buffer: WatchEvent[] = [];

  constructor(
    private readonly hub: WatchHub,
    readonly range: KeyRange,
    private readonly withPrev: boolean,
    private readonly listener: WatchListener,
  ) {}

  offer(events: readonly WatchEvent[]): void {
    if (this.cancelled) return;
    if (!this.live) {
      for (const e of events) if (inRange(this.range, e.kv.key)) this.buffer.push(e);
      return;
    }
    this.deliver(events);
  }

  /** Switches to live delivery: flushes what was buffered after `upTo`. */
  goLive(upTo: number): void {
    if (this.delivered < upTo) this.delivered = upTo;
    this.live = true;
    const buffered = this.buffer;
    this.buffer = [];
    this.deliver(buffered);
  }

  deliver(events: readonly WatchEvent[]): void {
    const out: WatchEvent[] = [];
    // Compare with the mark at batch start: one revision may carry several events.
    const floor = this.delivered;
    for (const e of events) {
      const rev = e.kv.modRevision;
      if (rev <= floor || !inRange(this.range, e.kv.key)) continue;
      if (rev > this.delivered) this.delivered = rev;
      out.push(this.withPrev || e.prevKv === undefined ? e : { type: e.type, kv: e.kv });
    }
    if (out.length === 0 || this.cancelled) return;
    try {
      this.listener.onEvents(out);
    } catch (err) {
      this.hub.log.warn({ err }, 'watch listener threw; cancelling that watch');
      this.hub.remove(this);
    }
  }

  fail(error: Error): void {
    try {
      this.listener.onError(error);
    } catch (err) {
      this.hub.log.warn({ err }, 'watch listener threw in onError');
    }
  }
}
