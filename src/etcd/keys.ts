/**
 * Keys on the wire are bytes; the Backend's keys are strings. Each byte maps to one UTF-16 code
 * unit (latin1), which is lossless for any byte string and keeps byte order equal to string
 * order, so ranges and prefixes mean the same on both sides. The Kubernetes keys
 * (/registry/...) are ASCII, where this is the identity, so the API server (which uses the
 * Backend directly) and etcd clients see the same keys.
 */
import type { KeyRange, KeyValue } from '../datastore/types.js';
import { errEmptyKey } from './errors.js';
import type { WireKeyValue } from './messages.js';

export function keyFromWire(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function keyToWire(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/**
 * etcd's (key, range_end) pair: empty range_end = the single key; range_end "\0" = every key
 * >= key; key "\0" with range_end "\0" = every key. The Backend reads rangeEnd "\0" the same way.
 */
export function rangeFromWire(key: Uint8Array, rangeEnd: Uint8Array): KeyRange {
  if (key.length === 0) throw errEmptyKey();
  const start = keyFromWire(key);
  if (rangeEnd.length === 0) return { key: start };
  return { key: start, rangeEnd: keyFromWire(rangeEnd) };
}

/** True when `key` lies in the range (same rules as rangeFromWire). */
export function inRange(range: KeyRange, key: string): boolean {
  if (range.rangeEnd === undefined) return key === range.key;
  if (key < range.key) return false;
  return range.rangeEnd === '\0' || key < range.rangeEnd;
}

const EMPTY = Buffer.alloc(0);

export function kvToWire(kv: KeyValue, keysOnly = false): WireKeyValue {
  return {
    key: keyToWire(kv.key),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: keysOnly ? EMPTY : Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength),
    lease: kv.lease,
  };
}
