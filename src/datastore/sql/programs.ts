/**
 * The revision log's operations as Programs (see dialect.ts): the SQL each Backend call runs,
 * written once for every SQL database. SqlLog (log.ts) sequences them, retries them on
 * conflicts and publishes their events.
 */
import { all, insert, run, type Program, type SqlValue } from './dialect.js';
import { COLUMNS, EMPTY, INSERT_SQL, decodeRow, insertParams, kvOf, rowEvent, type LogRow } from './rows.js';
import type { Compare, KeyRange, KeyValue, RangeOptions, RangeResult, TxnOp, TxnOpResult, WatchEvent } from '../types.js';
import { LeaseNotFoundError } from '../types.js';

/** kv_meta name of the compact revision. */
export const COMPACT_META = 'compact_rev';

export function* maxId(): Program<number> {
  const rows = yield* all('SELECT MAX(id) AS id FROM kv_log');
  return Number(rows[0]?.id ?? 0);
}

/** The newest row of `name` (tombstone or not) at or below `revision`. */
export function* latest(name: string, revision?: number): Program<LogRow | undefined> {
  const rows =
    revision === undefined
      ? yield* all(`SELECT ${COLUMNS} FROM kv_log WHERE name = ? ORDER BY id DESC LIMIT 1`, [name])
      : yield* all(`SELECT ${COLUMNS} FROM kv_log WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`, [name, revision]);
  return rows[0] ? decodeRow(rows[0]) : undefined;
}

export function nameCondition(range: KeyRange, column = 'name'): [string, SqlValue[]] {
  if (range.rangeEnd === undefined || range.rangeEnd === '') return [`${column} = ?`, [range.key]];
  if (range.rangeEnd === '\0') return [`${column} >= ?`, [range.key]];
  return [`${column} >= ? AND ${column} < ?`, [range.key, range.rangeEnd]];
}

export function* rangeAt(options: RangeOptions, rev: number): Program<RangeResult> {
  const limit = options.limit !== undefined && options.limit > 0 ? options.limit : 0;
  const strip = (kv: KeyValue): KeyValue => (options.keysOnly ? { ...kv, value: EMPTY } : kv);
  if (options.rangeEnd === undefined || options.rangeEnd === '') {
    const row = yield* latest(options.key, rev);
    const kvs = row && !row.deleted ? [strip(kvOf(row))] : [];
    return { revision: rev, kvs: options.countOnly ? [] : kvs, more: false, count: kvs.length };
  }
  const [cond, params] = nameCondition(options);
  // Newest row per key: MAX(id) per name over the covering (name, id) index, so superseded
  // history costs index entries only and table rows are read for the newest rows alone.
  const newest = (extra: string): string => `SELECT MAX(id) AS mid FROM kv_log WHERE ${cond}${extra} AND id <= ? GROUP BY name`;
  const countRows = (): Program<number> =>
    (function* () {
      const r = yield* all(`SELECT COUNT(*) AS n FROM (${newest('')}) m JOIN kv_log l ON l.id = m.mid WHERE l.deleted = 0`, [...params, rev]);
      return Number(r[0]?.n ?? 0);
    })();
  if (options.countOnly) return { revision: rev, kvs: [], more: false, count: yield* countRows() };
  // old_value is only for watch events; keys-only lists skip the value too.
  const cols = prefixed(options.keysOnly ? KEY_COLUMNS : RANGE_COLUMNS);
  if (limit === 0) {
    const rows = yield* all(`SELECT ${cols} FROM (${newest('')}) m JOIN kv_log l ON l.id = m.mid WHERE l.deleted = 0 ORDER BY l.name`, [...params, rev]);
    const kvs = rows.map((r) => kvOf(decodeRow(r)));
    return { revision: rev, kvs, more: false, count: kvs.length };
  }
  // A page: the first limit+1 keys in order, grouping only as far as needed (the LIMIT sits on
  // the groups). Keys whose newest row is a tombstone take a place in a group page, so fetch
  // again after the last key seen until the page is full or the range is exhausted.
  const live: LogRow[] = [];
  let after: string | undefined;
  for (;;) {
    const want = limit + 1 - live.length;
    const extra = after === undefined ? '' : ' AND name > ?';
    const rows = yield* all(
      `SELECT ${cols} FROM (${newest(extra)} ORDER BY name LIMIT ?) m JOIN kv_log l ON l.id = m.mid ORDER BY l.name`,
      after === undefined ? [...params, rev, want] : [...params, after, rev, want],
    );
    for (const r of rows) {
      const row = decodeRow(r);
      if (!row.deleted) live.push(row);
    }
    if (rows.length < want || live.length > limit) break;
    after = String(rows[rows.length - 1]!.name);
  }
  const more = live.length > limit;
  const kvs = (more ? live.slice(0, limit) : live).map(kvOf);
  const count = more ? yield* countRows() : kvs.length;
  return { revision: rev, kvs, more, count };
}

const RANGE_COLUMNS = 'id, name, created, deleted, create_revision, prev_revision, version, lease, value';
const KEY_COLUMNS = 'id, name, created, deleted, create_revision, prev_revision, version, lease';

/** COLUMNS with the l. alias. */
function prefixed(cols: string): string {
  return cols
    .split(', ')
    .map((c) => `l.${c}`)
    .join(', ');
}

export function* requireLease(lease: number): Program<void> {
  if (lease === 0) return;
  const rows = yield* all('SELECT id FROM kv_lease WHERE id = ?', [lease]);
  if (rows.length === 0) throw new LeaseNotFoundError(lease);
}

/** Appends a put of `key` after `cur` (its newest row, possibly a tombstone, or none). */
export function* putRow(key: string, value: Uint8Array, lease: number, cur: LogRow | undefined): Program<LogRow> {
  const live = cur && !cur.deleted ? cur : undefined;
  const row: Omit<LogRow, 'id'> = live
    ? { name: key, created: false, deleted: false, createRevision: kvOf(live).createRevision, prevRevision: live.id, version: live.version + 1, lease, value, oldValue: live.value }
    : { name: key, created: true, deleted: false, createRevision: 0, prevRevision: cur?.id ?? 0, version: 1, lease, value, oldValue: EMPTY };
  const id = yield* insert(INSERT_SQL, insertParams(row));
  return { ...row, id };
}

export function* tombstone(live: LogRow): Program<LogRow> {
  const row: Omit<LogRow, 'id'> = {
    name: live.name,
    created: false,
    deleted: true,
    createRevision: kvOf(live).createRevision,
    prevRevision: live.id,
    version: live.version + 1,
    lease: live.lease,
    value: EMPTY,
    oldValue: live.value,
  };
  const id = yield* insert(INSERT_SQL, insertParams(row));
  return { ...row, id };
}

/** Live (newest, not deleted) rows attached to a lease. */
export function* leaseRows(lease: number): Program<LogRow[]> {
  const rows = yield* all(
    `SELECT ${prefixed(COLUMNS)} FROM kv_log l WHERE l.lease = ? AND l.lease != 0 AND l.deleted = 0 AND NOT EXISTS (SELECT 1 FROM kv_log n WHERE n.name = l.name AND n.id > l.id)`,
    [lease],
  );
  return rows.map(decodeRow);
}

export function* txnOp(op: TxnOp, events: WatchEvent[]): Program<TxnOpResult> {
  switch (op.type) {
    case 'put': {
      const lease = op.lease ?? 0;
      yield* requireLease(lease);
      const cur = yield* latest(op.key);
      const row = yield* putRow(op.key, op.value, lease, cur);
      events.push(rowEvent(row));
      return op.prevKv && cur && !cur.deleted ? { type: 'put', prevKv: kvOf(cur) } : { type: 'put' };
    }
    case 'delete': {
      const current = yield* maxId();
      const { kvs } = yield* rangeAt({ ...op.range }, current);
      const prev: KeyValue[] = [];
      for (const kv of kvs) {
        const live = yield* latest(kv.key);
        if (!live || live.deleted) continue;
        events.push(rowEvent(yield* tombstone(live)));
        prev.push(kvOf(live));
      }
      return op.prevKv ? { type: 'delete', deleted: prev.length, prevKvs: prev } : { type: 'delete', deleted: prev.length };
    }
    case 'range': {
      const current = yield* maxId();
      const rev = op.range.revision !== undefined && op.range.revision > 0 ? op.range.revision : current;
      return { type: 'range', result: yield* rangeAt(op.range, rev) };
    }
  }
}

export function compareHolds(c: Compare, kv: KeyValue | undefined): boolean {
  if (c.target === 'value') {
    if (!kv) return false;
    return cmp(Buffer.compare(Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength), Buffer.from(c.value.buffer, c.value.byteOffset, c.value.byteLength)), c.op);
  }
  const actual = kv === undefined ? 0 : c.target === 'modRevision' ? kv.modRevision : c.target === 'createRevision' ? kv.createRevision : c.target === 'version' ? kv.version : kv.lease;
  return cmp(actual - c.value, c.op);
}

function cmp(diff: number, op: Compare['op']): boolean {
  switch (op) {
    case '=':
      return diff === 0;
    case '!=':
      return diff !== 0;
    case '<':
      return diff < 0;
    case '>':
      return diff > 0;
  }
}

/**
 * One compaction batch: removes rows superseded by a row with id in (lo, hi], and tombstones
 * with id in [lo, hi) (the one at hi stays: a watch from hi must still see that delete).
 */
export function* compactRange(lo: number, hi: number, upsertMeta: string): Program<number> {
  const superseded = (yield* all('SELECT prev_revision FROM kv_log WHERE id > ? AND id <= ? AND prev_revision > 0', [lo, hi])).map((r) => Number(r.prev_revision));
  let removed = 0;
  for (let i = 0; i < superseded.length; i += 200) {
    const chunk = superseded.slice(i, i + 200);
    removed += yield* run(`DELETE FROM kv_log WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk);
  }
  removed += yield* run('DELETE FROM kv_log WHERE deleted = 1 AND id >= ? AND id < ?', [lo, hi]);
  yield* run(upsertMeta, [COMPACT_META, hi]);
  return removed;
}
