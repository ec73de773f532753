/**
 * Watch: one bidirectional stream carries any number of watchers. Requests on a stream are
 * handled one at a time, in order (a cancel right after a create finds the watcher); events
 * flow from the Backend's watch straight to the stream.
 *
 * etcd's observable behaviour kept here:
 * - the "created" response comes before any event of that watcher; its header revision is the
 *   store revision at creation, and a watch without start_revision sees the writes after it;
 * - watch ids are chosen by the server from 0 upward unless the client picks one;
 * - a start_revision below the compaction floor answers created, then a response with
 *   compact_revision set and canceled (clients turn that into ErrCompacted);
 * - cancel answers canceled (nothing for an unknown id); a progress request answers the current
 *   revision with watch_id -1 (meant for every watcher on the stream); progress_notify sends the
 *   current revision to a watcher that had no events for an interval;
 * - NOPUT/NODELETE filters drop events; a delete event's kv carries only key and mod_revision;
 * - a client that stops reading does not make the server buffer without bound: once enough
 *   responses queue up on the stream, its watchers detach from the Backend (etcd's "unsynced"
 *   watchers) and, when the stream drains, resume from the revision after the last one they
 *   saw, replaying history; a revision compacted meanwhile ends them as compacted.
 */
import { CompactedError, type KeyRange, type Watch, type WatchEvent } from '../datastore/types.js';
import type { FaceContext } from './context.js';
import { toEtcdError, toStatus } from './errors.js';
import type { ServerCall } from './grpc/call.js';
import { header } from './header.js';
import { keyToWire, kvToWire, rangeFromWire } from './keys.js';
import { EventType, FilterType, type WatchCreateRequest, type WatchRequest, type WatchResponse, type WireEvent, type WireKeyValue } from './messages.js';

/** Bound on the events in one response; a long replay is split between revisions. */
const MAX_EVENTS_PER_RESPONSE = 1000;
/** etcd's reply watch id for responses not tied to one watcher (progress for all). */
const ALL_WATCHERS = -1;
/** Responses queued on a stream (the client is not reading) before its watchers detach. */
const PAUSE_BACKLOG = 128;

interface Watcher {
  readonly id: number;
  readonly range: KeyRange;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  /** The revision to resume from: one past the last the Backend handed over. */
  next: number;
  /** Identifies the current Backend watch; callbacks of a detached one are ignored. */
  attachment?: object | undefined;
  watch?: Watch | undefined;
  timer?: NodeJS.Timeout;
  /** An event went out since the last progress tick. */
  active: boolean;
}

export function serveWatch(ctx: FaceContext, call: ServerCall<WatchRequest, WatchResponse>): void {
  new WatchStream(ctx, call);
}

class WatchStream {
  readonly #watchers = new Map<number, Watcher>();
  #nextId = 0;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #paused = false;

  constructor(
    private readonly ctx: FaceContext,
    private readonly call: ServerCall<WatchRequest, WatchResponse>,
  ) {
    call.on('drain', () => this.#resume());
    call.on('data', (req: WatchRequest) => {
      this.#queue = this.#queue.then(() => this.#handle(req)).catch((err: unknown) => this.#fail(err));
    });
    call.on('end', () => {
      this.#close();
      call.end();
    });
    call.on('cancelled', () => this.#close());
  }

  async #handle(req: WatchRequest): Promise<void> {
    if (this.#closed) return;
    if (req.create_request) await this.#create(req.create_request);
    else if (req.cancel_request) await this.#cancel(req.cancel_request.watch_id);
    else if (req.progress_request) this.#send({ header: header(this.ctx.identity, await this.#progressRevision()), watch_id: ALL_WATCHERS });
  }

  async #create(c: WatchCreateRequest): Promise<void> {
    const revision = await this.ctx.backend.currentRevision();
    const refuse = (watchId: number, reason: string): void =>
      this.#send({ header: header(this.ctx.identity, revision), watch_id: watchId, created: true, canceled: true, cancel_reason: reason });
    let range: KeyRange;
    try {
      range = rangeFromWire(c.key, c.range_end);
    } catch (err) {
      return refuse(-1, err instanceof Error ? err.message : String(err));
    }
    if (range.rangeEnd !== undefined && range.rangeEnd !== '\0' && range.key >= range.rangeEnd) return refuse(-1, 'mvcc: watcher range is empty');
    let id = c.watch_id;
    if (id === 0) {
      while (this.#watchers.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    } else if (this.#watchers.has(id)) {
      return refuse(id, 'mvcc: duplicate watch ID provided on the WatchStream');
    }
    const watcher: Watcher = {
      id,
      range,
      prevKv: c.prev_kv,
      noPut: c.filters.includes(FilterType.NOPUT),
      noDelete: c.filters.includes(FilterType.NODELETE),
      // Without start_revision: everything after the revision the created response named.
      next: c.start_revision > 0 ? c.start_revision : revision + 1,
      active: false,
    };
    this.#watchers.set(id, watcher);
    this.#send({ header: header(this.ctx.identity, revision), watch_id: id, created: true });
    if (!this.#paused) this.#attach(watcher);
    if (c.progress_notify && this.#watchers.get(id) === watcher) {
      watcher.timer = setInterval(() => void this.#tick(watcher).catch((err: unknown) => this.#fail(err)), this.ctx.progressNotifyIntervalMs);
      watcher.timer.unref();
    }
  }

  /** Connects a watcher to the Backend from `w.next`. */
  #attach(w: Watcher): void {
    const attachment = {};
    w.attachment = attachment;
    const current = (): boolean => w.attachment === attachment && this.#watchers.get(w.id) === w;
    let watch: Watch | undefined;
    try {
      watch = this.ctx.backend.watch(
        { ...w.range, startRevision: w.next, prevKv: w.prevKv },
        {
          onEvents: (events) => {
            if (current()) this.#deliver(w, events);
          },
          onError: (err) => {
            if (current()) void this.#ended(w, err);
          },
        },
      );
    } catch (err) {
      if (current()) void this.#ended(w, err);
    }
    // The Backend may have ended the watch, or the stream paused, from inside watch().
    if (current()) w.watch = watch;
    else watch?.cancel();
  }

  /** The client stopped reading: stop taking events for it; the stream's drain resumes. */
  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.ctx.stats.watchPauses++;
    this.ctx.log.debug({ watchers: this.#watchers.size }, 'watch client is not reading; detaching its watchers until it catches up');
    for (const w of this.#watchers.values()) {
      w.attachment = undefined;
      w.watch?.cancel();
      w.watch = undefined;
    }
  }

  #resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    for (const w of [...this.#watchers.values()]) if (!w.attachment) this.#attach(w);
  }

  #deliver(w: Watcher, events: readonly WatchEvent[]): void {
    if (this.#closed) return;
    const lastEvent = events[events.length - 1];
    if (lastEvent) w.next = Math.max(w.next, lastEvent.kv.modRevision + 1);
    const wire: { revision: number; event: WireEvent }[] = [];
    for (const e of events) {
      if (e.type === 'put' ? w.noPut : w.noDelete) continue;
      wire.push({ revision: e.kv.modRevision, event: eventToWire(e) });
    }
    if (wire.length === 0) return;
    w.active = true;
    let start = 0;
    while (start < wire.length) {
      let end = Math.min(start + MAX_EVENTS_PER_RESPONSE, wire.length);
      // Cut between revisions, unless a single revision alone exceeds the bound.
      let cut = end;
      while (cut < wire.length && cut > start && wire[cut]?.revision === wire[cut - 1]?.revision) cut--;
      if (cut > start) end = cut;
      const chunk = wire.slice(start, end);
      const last = chunk[chunk.length - 1];
      this.#send({ header: header(this.ctx.identity, last ? last.revision : 0), watch_id: w.id, events: chunk.map((c) => c.event) });
      start = end;
    }
  }

  async #ended(w: Watcher, err: unknown): Promise<void> {
    if (this.#watchers.get(w.id) !== w) return;
    this.#drop(w);
    if (err instanceof CompactedError) {
      this.#send({ header: header(this.ctx.identity, await this.#revisionOr(err.compactRevision)), watch_id: w.id, compact_revision: err.compactRevision, canceled: true });
      return;
    }
    this.ctx.log.error({ err, watchId: w.id }, 'watch ended by a datastore failure');
    const reason = toEtcdError(err)?.message ?? `etcdserver: watch failed in the datastore: ${err instanceof Error ? err.message : String(err)}`;
    this.#send({ header: header(this.ctx.identity, await this.#revisionOr(0)), watch_id: w.id, canceled: true, cancel_reason: reason });
  }

  async #cancel(id: number): Promise<void> {
    const w = this.#watchers.get(id);
    if (!w) return;
    this.#drop(w);
    this.#send({ header: header(this.ctx.identity, await this.ctx.backend.currentRevision()), watch_id: id, canceled: true });
  }

  async #tick(w: Watcher): Promise<void> {
    if (w.active) {
      w.active = false;
      return;
    }
    // A detached watcher is behind: it hears progress again once it is attached and caught up.
    if (!w.attachment) return;
    const revision = await this.#progressRevision();
    if (this.#watchers.get(w.id) === w && w.attachment) this.#send({ header: header(this.ctx.identity, revision), watch_id: w.id });
  }

  /**
   * The revision a progress response may promise: every event up to it has been sent. The
   * Backend hands events to watchers as each write commits, before the write's caller resumes;
   * yielding once to the event loop first lets any notification already scheduled go out ahead
   * of this answer.
   */
  async #progressRevision(): Promise<number> {
    await new Promise((resolve) => setImmediate(resolve));
    const current = await this.ctx.backend.currentRevision();
    // Detached watchers (a client that stopped reading) have seen only up to next - 1.
    let revision = current;
    for (const w of this.#watchers.values()) if (!w.attachment) revision = Math.min(revision, w.next - 1);
    return revision;
  }

  async #revisionOr(fallback: number): Promise<number> {
    try {
      return await this.ctx.backend.currentRevision();
    } catch {
      return fallback;
    }
  }

  #drop(w: Watcher): void {
    this.#watchers.delete(w.id);
    w.attachment = undefined;
    w.watch?.cancel();
    if (w.timer) clearInterval(w.timer);
  }

  #send(resp: WatchResponse): void {
    if (this.#closed) return;
    if (!this.call.write(resp) && this.call.writableLength >= PAUSE_BACKLOG) this.#pause();
  }

  #fail(err: unknown): void {
    if (this.#closed) return;
    const status = toStatus(err, this.ctx.log, 'etcdserverpb.Watch/Watch');
    this.#close();
    this.call.fail(status);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of [...this.#watchers.values()]) this.#drop(w);
  }
}

function eventToWire(e: WatchEvent): WireEvent {
  const kv: WireKeyValue =
    e.type === 'put'
      ? kvToWire(e.kv)
      : // etcd: a delete event names the key and the deleting revision, nothing else.
        { key: keyToWire(e.kv.key), create_revision: 0, mod_revision: e.kv.modRevision, version: 0, value: Buffer.alloc(0), lease: 0 };
  return { type: e.type === 'put' ? EventType.PUT : EventType.DELETE, kv, ...(e.prevKv ? { prev_kv: kvToWire(e.prevKv) } : {}) };
}
