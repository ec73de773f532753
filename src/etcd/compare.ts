/**
 * Txn compares: the Backend's form, and etcd's evaluation rules for the cases the face decides
 * itself (nested transactions, see txn.ts). A key that does not exist compares as version,
 * create, mod and lease 0, and fails every value compare (etcd cannot tell a missing value from
 * an empty one, so it refuses to).
 */
import type { Compare, CompareOp, KeyValue } from '../datastore/types.js';
import { errEmptyKey, errInvalidArgument, errUnimplemented } from './errors.js';
import { keyFromWire } from './keys.js';
import { CompareResult, CompareTarget, type WireCompare } from './messages.js';

const OPS: Record<number, CompareOp> = {
  [CompareResult.EQUAL]: '=',
  [CompareResult.GREATER]: '>',
  [CompareResult.LESS]: '<',
  [CompareResult.NOT_EQUAL]: '!=',
};

export function compareFromWire(c: WireCompare): Compare {
  if (c.key.length === 0) throw errEmptyKey();
  if (c.range_end.length > 0) {
    throw errUnimplemented('etcdserverpb.KV/Txn', 'compares over a key range (Compare.range_end) are not supported; compare each key');
  }
  const op = OPS[c.result];
  if (op === undefined) throw errInvalidArgument(`unknown compare result ${c.result}`);
  const key = keyFromWire(c.key);
  switch (c.target) {
    case CompareTarget.VERSION:
      return { key, target: 'version', op, value: c.version };
    case CompareTarget.CREATE:
      return { key, target: 'createRevision', op, value: c.create_revision };
    case CompareTarget.MOD:
      return { key, target: 'modRevision', op, value: c.mod_revision };
    case CompareTarget.LEASE:
      return { key, target: 'lease', op, value: c.lease };
    case CompareTarget.VALUE:
      return { key, target: 'value', op, value: c.value };
    default:
      throw errInvalidArgument(`unknown compare target ${c.target}`);
  }
}

/** Evaluates one compare against the key's current state (undefined = absent). */
export function evaluate(c: Compare, kv: KeyValue | undefined): boolean {
  let order: number;
  if (c.target === 'value') {
    if (!kv) return false;
    order = Buffer.compare(Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength), Buffer.from(c.value.buffer, c.value.byteOffset, c.value.byteLength));
  } else {
    const actual = kv ? kv[c.target] : 0;
    order = Math.sign(actual - c.value);
  }
  switch (c.op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
  }
}
