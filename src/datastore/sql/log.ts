/**
 * The generic SQL revision log: the Backend every SQL driver shares (sqlite, postgres, mysql
 * differ only by their Dialect and SqlExecutor). The logic of each operation is a Program
 * (see dialect.ts) so it runs unchanged on synchronous and asynchronous databases.
 *
 * Storage (kv_log): one row per write, id = the global revision. Reads take the newest row per
 * key at or below the read revision; every query is bounded by `id <= revision`, which makes
 * multi-statement reads consistent without a read transaction. A unique index on
 * (name, prev_revision) makes two writers racing on the same key collide in the database; the
 * loser's program runs again and then sees the winner's row.
 *
 * Also here: the watch feed (publish after commit, or read back for pooled databases), lease
 * expiry, and compaction in small batches on a timer.
 */
import { logger, type Logger } from '../../log/index.js';
import { byteLength } from '../keys.js';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  LeaseNotFoundError,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  TooLargeError,
  type Backend,
  type Compare,
  type KeyRange,
  type KeyValue,
  type LeaseInfo,
  type RangeOptions,
  type RangeResult,
  type TxnOp,
  type TxnOpResult,
  type TxnResult,
  type Watch,
  type WatchEvent,
  type WatchListener,
  type WatchOptions,
} from '../types.js';
import { WatchHub } from '../watch-hub.js';
import { all, run, type Dialect, type Program, type SqlExecutor } from './dialect.js';
import { COMPACT_META, compactRange, compareHolds, latest, leaseRows, maxId, nameCondition, putRow, rangeAt, requireLease, tombstone, txnOp } from './programs.js';
import { COLUMNS, EMPTY, decodeRow, kvOf, rowEvent, type LogRow } from './rows.js';

export interface SqlLogOptions {
  readonly dialect: Dialect;
  readonly executor: SqlExecutor;
  /** Where the store lives, for log lines (never a password). */
  readonly description: string;
  /** Compaction timer period; 0 disables the timer (compact() still works). Default 5 min. */
  readonly compactIntervalMs?: number;
  /** Revisions kept behind the current one by timed compaction. Default 1000 (as kine). */
  readonly compactRetain?: number;
  /** Revisions covered by one compaction transaction. Default 250: one batch takes a few ms, and that is the longest a write waits for compaction. */
  readonly compactBatch?: number;
  /** Lease expiry check period. Default 1000 ms; 0 disables the timer (expireLeases() still works). */
  readonly leaseCheckIntervalMs?: number;
  /**
   * Pooled databases: how often to read rows committed after the last published revision
   * (writes by other servers). Default 1000 ms when the executor has no serial commits.
   */
  readonly pollIntervalMs?: number;
  /** How long a gap in ids may stay open before the feed skips it (a rolled-back insert). Default 1000 ms. */
  readonly gapTimeoutMs?: number;
  /** Clock for lease expiry (ms since epoch); tests pass a fake one. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

const MAX_ATTEMPTS = 20;
/** Fill rows (pooled databases): tombstones of a reserved name with no previous revision. */
const FILL_SQL = `INSERT INTO kv_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const NOT_FILL = 'NOT (deleted = 1 AND prev_revision = 0)';
const MAX_FILL = 1000;
/** How long a pooled write waits for its row to be read back before acknowledging anyway. */
const PUBLISH_WAIT_MS = 10_000;
const isFill = (r: LogRow): boolean => r.deleted && r.prevRevision === 0;

type Write<T> = { result: T; events: WatchEvent[] };
type Conditional = { succeeded: boolean; revision: number; kv: KeyValue | undefined };

export class SqlLog implements Backend {
  private readonly dialect: Dialect;
  private readonly exec: SqlExecutor;
  private readonly log: Logger;
  private readonly now: () => number;
  private hub: WatchHub | undefined;
  private floor = 0;
  private timers: NodeJS.Timeout[] = [];
  private compacting: Promise<void> | undefined;
  /** The poll in progress (pooled databases); never rejects. */
  private polling: Promise<void> | undefined;
  private pollFailing = false;
  private pollAgain = false;
  private gapSince: number | undefined;
  private started = false;
  private closed = false;

  constructor(private readonly options: SqlLogOptions) {
    this.dialect = options.dialect;
    this.exec = options.executor;
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? logger('datastore');
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.started) return;
    const schema = this.dialect.schema;
    await this.exec.write(function* () {
      for (const ddl of schema) yield* run(ddl);
    });
    this.floor = await this.readFloor();
    const current = await this.exec.read(maxId);
    this.hub = new WatchHub({ history: (r, f, t, l) => this.history(r, f, t, l), compactRevision: () => this.compactRevision() }, current, this.log);
    this.started = true;
    const o = this.options;
    const every = (ms: number, fn: () => Promise<unknown>): void => {
      if (ms <= 0) return;
      const timer = setInterval(() => void fn().catch((err: unknown) => this.log.warn({ err }, 'datastore background task failed; will retry')), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(o.compactIntervalMs ?? 5 * 60_000, () => this.compactTick());
    every(o.leaseCheckIntervalMs ?? 1000, () => this.expireLeases());
    if (!this.exec.serialCommits) {
      // Through kickPoll, so the timer and writers never run two polls at once.
      const timer = setInterval(() => this.kickPoll(), o.pollIntervalMs ?? 1000);
      timer.unref();
      this.timers.push(timer);
    }
    this.log.info({ store: o.description, revision: current, compactRevision: this.floor }, 'datastore ready');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.hub?.close();
    await this.compacting?.catch(() => undefined);
    await this.polling?.catch(() => undefined);
    await this.exec.close();
  }

  private get feed(): WatchHub {
    if (!this.hub || this.closed) throw new Error(this.closed ? 'datastore is closed' : 'datastore not started: call start() first');
    return this.hub;
  }

  // ---- reads -------------------------------------------------------------------------------

  async currentRevision(): Promise<number> {
    const feed = this.feed;
    if (this.exec.serialCommits) return feed.lastRevision;
    return this.exec.read(maxId);
  }

  async compactRevision(): Promise<number> {
    return this.floor;
  }

  async get(key: string, revision?: number): Promise<{ revision: number; kv: KeyValue | undefined }> {
    const rev = await this.readRevision(revision);
    const row = await this.exec.read(() => latest(key, rev));
    return { revision: rev, kv: row && !row.deleted ? kvOf(row) : undefined };
  }

  async range(options: RangeOptions): Promise<RangeResult> {
    const rev = await this.readRevision(options.revision);
    return this.exec.read(() => rangeAt(options, rev));
  }

  /** The revision a read is served at: current, or the requested one if still readable. */
  private async readRevision(revision: number | undefined): Promise<number> {
    const current = await this.currentRevision();
    if (revision === undefined || revision <= 0) return current;
    if (revision > current) throw new FutureRevisionError(revision, current);
    if (revision < this.floor) throw new CompactedError(revision, this.floor);
    return revision;
  }

  // ---- writes ------------------------------------------------------------------------------

  async create(key: string, value: Uint8Array, lease = 0): Promise<{ revision: number }> {
    checkLimits(key, value);
    return this.write(function* () {
      yield* requireLease(lease);
      const cur = yield* latest(key);
      if (cur && !cur.deleted) throw new KeyExistsError(key);
      const row = yield* putRow(key, value, lease, cur);
      return { result: { revision: row.id }, events: [rowEvent(row)] };
    });
  }

  async update(key: string, value: Uint8Array, expectedRevision: number, lease = 0): Promise<Conditional> {
    checkLimits(key, value);
    return this.write<Conditional>(function* () {
      const cur = yield* latest(key);
      const live = cur && !cur.deleted ? cur : undefined;
      if ((live?.id ?? 0) !== expectedRevision) {
        return { result: { succeeded: false, revision: yield* maxId(), kv: live ? kvOf(live) : undefined }, events: [] };
      }
      yield* requireLease(lease);
      const row = yield* putRow(key, value, lease, cur);
      return { result: { succeeded: true, revision: row.id, kv: kvOf(row) }, events: [rowEvent(row)] };
    });
  }

  async delete(key: string, expectedRevision?: number): Promise<Conditional> {
    return this.write<Conditional>(function* () {
      const cur = yield* latest(key);
      const live = cur && !cur.deleted ? cur : undefined;
      if (!live || (expectedRevision !== undefined && expectedRevision !== 0 && live.id !== expectedRevision)) {
        return { result: { succeeded: false, revision: yield* maxId(), kv: live ? kvOf(live) : undefined }, events: [] };
      }
      const row = yield* tombstone(live);
      return { result: { succeeded: true, revision: row.id, kv: kvOf(live) }, events: [rowEvent(row)] };
    });
  }

  async txn(compares: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[]): Promise<TxnResult> {
    for (const op of [...success, ...failure]) if (op.type === 'put') checkLimits(op.key, op.value);
    return this.write(function* () {
      let ok = true;
      for (const c of compares) {
        const row = yield* latest(c.key);
        if (!compareHolds(c, row && !row.deleted ? kvOf(row) : undefined)) {
          ok = false;
          break;
        }
      }
      const events: WatchEvent[] = [];
      const results: TxnOpResult[] = [];
      for (const op of ok ? success : failure) results.push(yield* txnOp(op, events));
      return { result: { succeeded: ok, revision: yield* maxId(), results }, events };
    });
  }

  /** Runs a write program with retries on conflicts, then publishes its events. */
  private async write<T>(program: () => Program<Write<T>>): Promise<T> {
    const feed = this.feed;
    for (let attempt = 1; ; attempt++) {
      try {
        const { result, events } = await this.exec.write(program);
        if (events.length > 0) {
          // Pooled: publish directly when this write's revisions are exactly the next ones (no
          // other transaction can still commit below them), else read back in id order.
          if (this.exec.serialCommits || follows(feed.lastRevision, events)) feed.publish(events);
          else await this.published(events[events.length - 1]!.kv.modRevision);
        }
        return result;
      } catch (err) {
        const kind = this.dialect.classify(err);
        if (kind === 'fatal' || attempt >= MAX_ATTEMPTS) throw err;
        await sleep(Math.min(100, 2 ** attempt) * Math.random());
      }
    }
  }

  // ---- watch -------------------------------------------------------------------------------

  watch(options: WatchOptions, listener: WatchListener): Watch {
    return this.feed.watch(options, listener);
  }

  private async history(range: KeyRange, from: number, to: number, limit: number): Promise<WatchEvent[]> {
    const rows = await this.exec.read(function* () {
      const [cond, params] = nameCondition(range);
      return yield* all(`SELECT ${COLUMNS} FROM kv_log WHERE id >= ? AND id <= ? AND ${cond} AND ${NOT_FILL} ORDER BY id LIMIT ?`, [from, to, ...params, limit]);
    });
    return rows.map((r) => rowEvent(decodeRow(r)));
  }

  /**
   * Pooled databases: resolves once the feed has published `revision`, so a write is in the
   * feed before it is acknowledged and a watch opened afterwards never reports it as new.
   */
  private async published(revision: number): Promise<void> {
    // The write is committed either way; if the database stops answering before its row is
    // read back, give up waiting after a while (the poll timer publishes it later).
    const deadline = Date.now() + PUBLISH_WAIT_MS;
    for (let round = 0; !this.closed && this.hub !== undefined && this.hub.lastRevision < revision; round++) {
      if (Date.now() > deadline) return;
      this.kickPoll();
      await this.polling;
      if (this.hub.lastRevision < revision) await sleep(Math.min(100, 2 * (round + 1)));
    }
  }

  /** Pooled databases: publish rows committed after the last published revision. */
  private kickPoll(): void {
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = this.poll()
      .then(
        () => {
          if (this.pollFailing) this.log.info('reading new datastore rows works again');
          this.pollFailing = false;
        },
        (err: unknown) => {
          // One line when polling starts failing (database down), not one per tick.
          if (!this.pollFailing) this.log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'cannot read new datastore rows; retrying');
          this.pollFailing = true;
        },
      )
      .finally(() => {
        this.polling = undefined;
        if (this.pollAgain && !this.closed) {
          this.pollAgain = false;
          this.kickPoll();
        }
      });
  }

  private async poll(): Promise<void> {
    if (this.closed || !this.hub) return;
    const hub = this.hub;
    for (;;) {
      const after = hub.lastRevision;
      const rows = (await this.exec.read(() => all(`SELECT ${COLUMNS} FROM kv_log WHERE id > ? ORDER BY id LIMIT 500`, [after]))).map(decodeRow);
      if (rows.length === 0) return;
      // Ids are handed out before commit, so a gap may be a transaction still committing: wait
      // for it a little, then claim the missing ids with fill rows (as kine does). A transaction
      // still holding one of them then fails on the primary key and is re-run with a new id, so
      // a committed row is never skipped; a fill that collides means the row just committed.
      const ready: LogRow[] = [];
      let expect = after + 1;
      for (const r of rows) {
        if (r.id !== expect) {
          const now = Date.now();
          this.gapSince ??= now;
          if (now - this.gapSince < (this.options.gapTimeoutMs ?? 1000)) break;
          if (!(await this.fillGap(expect, r.id - 1))) break;
        }
        this.gapSince = undefined;
        ready.push(r);
        expect = r.id + 1;
      }
      if (ready.length === 0) return;
      hub.publish(ready.filter((r) => !isFill(r)).map(rowEvent));
      hub.advance(ready[ready.length - 1]!.id);
      if (rows.length < 500) return;
    }
  }

  /** Claims ids [from, to] with fill rows; false when one of them committed meanwhile. */
  private async fillGap(from: number, to: number): Promise<boolean> {
    if (to - from >= MAX_FILL) {
      // Not a transaction in flight (a sequence jump after a database crash): skip it.
      this.log.warn({ from, to }, 'skipping a large gap in revision ids');
      return true;
    }
    try {
      await this.exec.write(function* () {
        for (let id = from; id <= to; id++) yield* run(FILL_SQL, [id, `\0gap/${id}`, 0, 1, 0, 0, 0, 0, EMPTY, EMPTY]);
      });
      return true;
    } catch (err) {
      if (this.dialect.classify(err) === 'fatal') throw err;
      return false;
    }
  }

  // ---- compaction --------------------------------------------------------------------------

  private async readFloor(): Promise<number> {
    const rows = await this.exec.read(() => all('SELECT value FROM kv_meta WHERE name = ?', [COMPACT_META]));
    return rows[0] ? Number(rows[0].value) : 0;
  }

  private async compactTick(): Promise<void> {
    if (this.closed) return;
    // Another server may have compacted (shared databases).
    this.floor = Math.max(this.floor, await this.readFloor());
    const target = (await this.currentRevision()) - (this.options.compactRetain ?? 1000);
    if (target > this.floor) await this.compact(target);
    await this.exec.maintenance?.();
  }

  async compact(revision: number): Promise<void> {
    const current = await this.currentRevision();
    if (revision > current) throw new FutureRevisionError(revision, current);
    if (revision < this.floor) throw new CompactedError(revision, this.floor);
    // One compaction at a time; a second caller waits for the first and then continues.
    while (this.compacting) await this.compacting.catch(() => undefined);
    if (revision <= this.floor) return;
    const job = this.compactBatches(revision);
    this.compacting = job;
    try {
      await job;
    } finally {
      this.compacting = undefined;
    }
  }

  /**
   * Compacts (floor, revision] in batches of `compactBatch` revisions, each its own short
   * transaction, yielding to other work between batches. After a batch ending at `hi`, every
   * read at >= hi and every watch from >= hi is still answered exactly, so the floor moves
   * to hi with it; an interrupted compaction resumes from the last batch.
   */
  private async compactBatches(revision: number): Promise<void> {
    const batch = Math.max(1, this.options.compactBatch ?? 250);
    const started = Date.now();
    let removed = 0;
    let lo = this.floor;
    while (lo < revision && !this.closed) {
      const hi = Math.min(revision, lo + batch);
      removed += await this.exec.write(() => compactRange(lo, hi, this.dialect.upsertMetaSql));
      this.floor = hi;
      lo = hi;
      await new Promise((r) => setImmediate(r));
    }
    this.log.debug({ revision, removed, ms: Date.now() - started }, 'compacted');
  }

  // ---- leases ------------------------------------------------------------------------------

  async leaseGrant(ttlSeconds: number, id?: number): Promise<{ id: number; ttl: number }> {
    if (!(ttlSeconds > 0)) throw new RangeError(`lease TTL must be positive, got ${ttlSeconds}`);
    const ttl = Math.ceil(ttlSeconds);
    const leaseId = id !== undefined && id !== 0 ? id : randomLeaseId();
    const expires = this.now() + ttl * 1000;
    const upsert = this.dialect.upsertLeaseSql;
    await this.exec.write(function* () {
      const existing = yield* all('SELECT id FROM kv_lease WHERE id = ?', [leaseId]);
      if (existing.length > 0) throw new LeaseExistsError(leaseId);
      yield* run(upsert, [leaseId, ttl, expires]);
    });
    return { id: leaseId, ttl };
  }

  async leaseRevoke(id: number): Promise<void> {
    await this.write(function* () {
      const lease = yield* all('SELECT id FROM kv_lease WHERE id = ?', [id]);
      if (lease.length === 0) throw new LeaseNotFoundError(id);
      const events: WatchEvent[] = [];
      for (const live of yield* leaseRows(id)) events.push(rowEvent(yield* tombstone(live)));
      yield* run('DELETE FROM kv_lease WHERE id = ?', [id]);
      return { result: undefined, events };
    });
  }

  async leaseKeepAlive(id: number): Promise<{ ttl: number }> {
    const now = this.now();
    const ttl = await this.exec.write(function* () {
      const rows = yield* all('SELECT ttl, expires_at FROM kv_lease WHERE id = ?', [id]);
      const row = rows[0];
      if (!row || Number(row.expires_at) <= now) throw new LeaseNotFoundError(id);
      const ttl = Number(row.ttl);
      yield* run('UPDATE kv_lease SET expires_at = ? WHERE id = ?', [now + ttl * 1000, id]);
      return ttl;
    });
    return { ttl };
  }

  async leaseTimeToLive(id: number): Promise<LeaseInfo> {
    const now = this.now();
    return this.exec.read(function* () {
      const rows = yield* all('SELECT ttl, expires_at FROM kv_lease WHERE id = ?', [id]);
      const row = rows[0];
      if (!row) return { id, ttl: -1, remaining: -1, keys: [] };
      const left = Math.ceil((Number(row.expires_at) - now) / 1000);
      const keys = (yield* leaseRows(id)).map((r) => r.name);
      return { id, ttl: Number(row.ttl), remaining: left > 0 ? left : -1, keys };
    });
  }

  async leases(): Promise<number[]> {
    const rows = await this.exec.read(() => all('SELECT id FROM kv_lease ORDER BY id'));
    return rows.map((r) => Number(r.id));
  }

  /** Revokes every expired lease, deleting its keys (watchers see DELETED). Run by a timer. */
  async expireLeases(): Promise<number> {
    if (this.closed) return 0;
    const now = this.now();
    const rows = await this.exec.read(() => all('SELECT id FROM kv_lease WHERE expires_at <= ?', [now]));
    let n = 0;
    for (const r of rows) {
      try {
        await this.leaseRevoke(Number(r.id));
        n++;
      } catch (err) {
        if (!(err instanceof LeaseNotFoundError)) throw err;
      }
    }
    return n;
  }

  async dbSize(): Promise<number> {
    return this.exec.sizeBytes();
  }
}

export class LeaseExistsError extends Error {
  override readonly name = 'LeaseExistsError';
  constructor(readonly id: number) {
    super(`lease ${id} already exists`);
  }
}

function checkLimits(key: string, value: Uint8Array): void {
  if (key === '') throw new RangeError('key must not be empty');
  const kb = byteLength(key);
  if (kb > MAX_KEY_BYTES) throw new TooLargeError(`key of ${kb} bytes exceeds the limit of ${MAX_KEY_BYTES} bytes`);
  if (value.byteLength > MAX_VALUE_BYTES) throw new TooLargeError(`value of ${value.byteLength} bytes for key ${key.slice(0, 200)} exceeds the limit of ${MAX_VALUE_BYTES} bytes`);
}

function randomLeaseId(): number {
  // Positive and within 2^53 so it survives JSON and JavaScript numbers.
  return Math.floor(Math.random() * 2 ** 52) + 1;
}

/** Whether the revisions of `events` are exactly last+1, last+2, ... with none missing. */
function follows(last: number, events: readonly WatchEvent[]): boolean {
  let expect = last + 1;
  for (const e of events) {
    const rev = e.kv.modRevision;
    if (rev === expect) expect++;
    else if (rev !== expect - 1) return false;
  }
  return expect > last + 1;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
