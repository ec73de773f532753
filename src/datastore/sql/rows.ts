/**
 * The kv_log row and how it maps onto etcd-shaped KeyValues and watch events. One row per
 * write: a put is a row with the new value (old_value = the value it replaced), a delete is a
 * tombstone row (deleted = 1, value empty, old_value = the deleted value), so a watch event
 * with its prevKv is always built from one row.
 */
import type { KeyValue, WatchEvent } from '../types.js';
import type { Row } from './dialect.js';

export interface LogRow {
  readonly id: number;
  readonly name: string;
  /** 1 when this row created the key (its create_revision is its own id). */
  readonly created: boolean;
  readonly deleted: boolean;
  /** The key's create revision (0 in created rows: the row id is not known before the insert). */
  readonly createRevision: number;
  /** The id of the key's previous row, 0 for none. */
  readonly prevRevision: number;
  /** etcd version after this write (tombstones: the version the key had + 1). */
  readonly version: number;
  readonly lease: number;
  readonly value: Uint8Array;
  readonly oldValue: Uint8Array;
}

export const COLUMNS = 'id, name, created, deleted, create_revision, prev_revision, version, lease, value, old_value';
export const INSERT_SQL = 'INSERT INTO kv_log (name, created, deleted, create_revision, prev_revision, version, lease, value, old_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

export const EMPTY = new Uint8Array(0);

/** Decodes a row as any driver returns it (pg returns BIGINT as string, blobs as Buffer). */
export function decodeRow(r: Row): LogRow {
  return {
    id: Number(r.id),
    name: String(r.name),
    created: Number(r.created) === 1,
    deleted: Number(r.deleted) === 1,
    createRevision: Number(r.create_revision),
    prevRevision: Number(r.prev_revision),
    version: Number(r.version),
    lease: Number(r.lease),
    value: bytes(r.value),
    oldValue: bytes(r.old_value),
  };
}

function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v === null || v === undefined) return EMPTY;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  throw new TypeError(`unexpected blob column type ${typeof v}`);
}

/** Parameters for INSERT_SQL. */
export function insertParams(r: Omit<LogRow, 'id'>): (string | number | Uint8Array)[] {
  return [r.name, r.created ? 1 : 0, r.deleted ? 1 : 0, r.createRevision, r.prevRevision, r.version, r.lease, r.value, r.oldValue];
}

/** The key as of this (non-tombstone) row. */
export function kvOf(r: LogRow): KeyValue {
  return {
    key: r.name,
    value: r.value,
    createRevision: r.created ? r.id : r.createRevision,
    modRevision: r.id,
    version: r.version,
    lease: r.lease,
  };
}

/** The key as it was before this row's write, when it existed. */
function prevOf(r: LogRow): KeyValue | undefined {
  if (r.created || r.prevRevision === 0) return undefined;
  return {
    key: r.name,
    value: r.oldValue,
    createRevision: r.createRevision,
    modRevision: r.prevRevision,
    version: r.version - 1,
    lease: r.lease,
  };
}

export function rowEvent(r: LogRow): WatchEvent {
  const prevKv = prevOf(r);
  if (r.deleted) {
    const kv: KeyValue = { key: r.name, value: EMPTY, createRevision: r.createRevision, modRevision: r.id, version: 0, lease: 0 };
    return prevKv ? { type: 'delete', kv, prevKv } : { type: 'delete', kv };
  }
  return prevKv ? { type: 'put', kv: kvOf(r), prevKv } : { type: 'put', kv: kvOf(r) };
}
