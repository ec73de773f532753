/** Key-range helpers shared by drivers and the watch fan-out. */
import type { KeyRange } from './types.js';

/**
 * Whether `key` falls in `range`: the single key when rangeEnd is absent, every key >= key when
 * rangeEnd is "\0" (etcd's "to the end"), otherwise [key, rangeEnd). JavaScript compares UTF-16
 * code units, which orders like UTF-8 bytes for the ASCII keys the API writes.
 */
export function inRange(range: KeyRange, key: string): boolean {
  if (range.rangeEnd === undefined || range.rangeEnd === '') return key === range.key;
  if (key < range.key) return false;
  return range.rangeEnd === '\0' || key < range.rangeEnd;
}

/** UTF-8 byte length without allocating for short ASCII strings. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
