/**
 * The datastore Backend: a revisioned key-value log, the one interface the API server, the etcd
 * face and every driver (sqlite, postgres, mysql, etcd) agree on. Shaped like etcd v3 so the
 * etcd face is a thin translation, and like kine so SQL drivers share one log implementation.
 *
 * Revisions: every successful write creates exactly one new global revision (the log row id);
 * `modRevision` of a key is the revision of its last write, `createRevision` the revision of
 * the write that created its current incarnation. resourceVersion in the API is modRevision.
 * Keys are strings (the API uses /registry/<resource>/<namespace>/<name>); values are bytes.
 */

export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  /** Writes since creation, 1 for a new key (etcd semantics). */
  readonly version: number;
  /** Lease id, 0 for none. */
  readonly lease: number;
}

/** A key range: `[key, rangeEnd)`; no rangeEnd means the single key. Use `prefixRange` for prefixes. */
export interface KeyRange {
  readonly key: string;
  readonly rangeEnd?: string;
}

export interface RangeOptions extends KeyRange {
  /** Read as of this revision (0 or absent = current). Older than the compact floor -> CompactedError. */
  readonly revision?: number;
  /** At most this many keys (0 or absent = no limit). */
  readonly limit?: number;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
}

export interface RangeResult {
  /** The revision the read was served at (the store's current revision unless `revision` was given). */
  readonly revision: number;
  readonly kvs: KeyValue[];
  /** More keys exist in the range beyond `limit`. */
  readonly more: boolean;
  /** Total keys in the range at that revision. */
  readonly count: number;
}

/** A condition in a transaction, on the current state of one key (etcd Compare semantics). */
export type Compare =
  | { readonly key: string; readonly target: 'modRevision' | 'createRevision' | 'version' | 'lease'; readonly op: CompareOp; readonly value: number }
  | { readonly key: string; readonly target: 'value'; readonly op: CompareOp; readonly value: Uint8Array };
export type CompareOp = '=' | '!=' | '<' | '>';

export type TxnOp =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array; readonly lease?: number; readonly prevKv?: boolean }
  | { readonly type: 'delete'; readonly range: KeyRange; readonly prevKv?: boolean }
  | { readonly type: 'range'; readonly range: RangeOptions };

export type TxnOpResult =
  | { readonly type: 'put'; readonly prevKv?: KeyValue }
  | { readonly type: 'delete'; readonly deleted: number; readonly prevKvs?: KeyValue[] }
  | { readonly type: 'range'; readonly result: RangeResult };

export interface TxnResult {
  readonly succeeded: boolean;
  /** The revision after the transaction (unchanged when it wrote nothing). */
  readonly revision: number;
  readonly results: TxnOpResult[];
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** For delete: the key with value empty and modRevision = the delete's revision. */
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

export interface WatchOptions extends KeyRange {
  /** Deliver events with revision >= startRevision; absent/0 = only future events. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
}

export interface WatchListener {
  /** Events in revision order, each exactly once; one call per committed revision batch. */
  onEvents(events: readonly WatchEvent[]): void;
  /** The watch ended: CompactedError when startRevision is below the compact floor, or a store failure. */
  onError(error: Error): void;
}

export interface Watch {
  cancel(): void;
}

export interface LeaseInfo {
  readonly id: number;
  readonly ttl: number;
  /** Seconds left; -1 when expired or unknown. */
  readonly remaining: number;
  readonly keys: string[];
}

export interface Backend {
  /** Opens connections, creates schema, starts compaction and lease expiry. */
  start(): Promise<void>;
  close(): Promise<void>;

  currentRevision(): Promise<number>;
  /** The oldest revision still readable/watchable. */
  compactRevision(): Promise<number>;

  get(key: string, revision?: number): Promise<{ revision: number; kv: KeyValue | undefined }>;
  range(options: RangeOptions): Promise<RangeResult>;

  /** Creates `key`; throws KeyExistsError if it exists. */
  create(key: string, value: Uint8Array, lease?: number): Promise<{ revision: number }>;
  /**
   * Writes `key` only if its modRevision equals `expectedRevision` (0 = must not exist).
   * On mismatch returns succeeded=false and the current kv, so callers can answer 409.
   */
  update(key: string, value: Uint8Array, expectedRevision: number, lease?: number): Promise<{ succeeded: boolean; revision: number; kv: KeyValue | undefined }>;
  /** Deletes `key` if its modRevision equals `expectedRevision` (absent = unconditionally). */
  delete(key: string, expectedRevision?: number): Promise<{ succeeded: boolean; revision: number; kv: KeyValue | undefined }>;
  /** General etcd-style transaction: all compares hold -> success ops, else failure ops; atomic. */
  txn(compares: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[]): Promise<TxnResult>;

  watch(options: WatchOptions, listener: WatchListener): Watch;

  /** Drops history of superseded and deleted rows below `revision`. */
  compact(revision: number): Promise<void>;

  leaseGrant(ttlSeconds: number, id?: number): Promise<{ id: number; ttl: number }>;
  leaseRevoke(id: number): Promise<void>;
  leaseKeepAlive(id: number): Promise<{ ttl: number }>;
  leaseTimeToLive(id: number): Promise<LeaseInfo>;
  leases(): Promise<number[]>;

  /** Size of the backing store in bytes (etcd Status dbSize), best effort. */
  dbSize(): Promise<number>;
}

/** The end of the range covering every key that starts with `prefix`. */
export function prefixRange(prefix: string): Required<KeyRange> {
  return { key: prefix, rangeEnd: prefixEnd(prefix) };
}

export function prefixEnd(prefix: string): string {
  // Keys are compared as UTF-8 bytes; incrementing the last code unit is right for the ASCII
  // keys the API uses. An empty prefix means every key ("\0" as etcd's range_end).
  if (prefix === '') return '\0';
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export class KeyExistsError extends Error {
  override readonly name = 'KeyExistsError';
  constructor(readonly key: string) {
    super(`key already exists: ${key}`);
  }
}

export class CompactedError extends Error {
  override readonly name = 'CompactedError';
  constructor(
    readonly requested: number,
    readonly compactRevision: number,
  ) {
    super(`required revision ${requested} has been compacted (oldest available ${compactRevision})`);
  }
}

export class FutureRevisionError extends Error {
  override readonly name = 'FutureRevisionError';
  constructor(readonly requested: number, readonly current: number) {
    super(`required revision ${requested} is a future revision (current ${current})`);
  }
}

/** A put named a lease that does not exist (or has expired), or a lease call named an unknown id. */
export class LeaseNotFoundError extends Error {
  override readonly name = 'LeaseNotFoundError';
  constructor(readonly id: number) {
    super(`lease ${id} not found`);
  }
}

/**
 * The store cannot be opened or reached: a corrupt or read-only SQLite file, a database that
 * refuses connections. The message names the file or address and the fix; `cause` keeps the
 * original error.
 */
export class DatastoreOpenError extends Error {
  override readonly name = 'DatastoreOpenError';
}

/** Key or value beyond the limits (1.5 MiB like etcd). */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
}

export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;
export const MAX_KEY_BYTES = 1.5 * 1024 * 1024;
