/** Conversions between the Backend's types and etcd's protobuf messages. */
import type { Compare, KeyRange, KeyValue, RangeOptions, RangeResult, TxnOp, TxnOpResult } from '../types.js';
import { toNumber, type PbCompare, type PbCompareResult, type PbCompareTarget, type PbKeyValue, type PbRangeRequest, type PbRangeResponse, type PbRequestOp, type PbResponseOp } from './proto.js';

/** A view on the received bytes (no copy), typed as a plain Uint8Array like every driver returns. */
export function bytes(buffer: Buffer | null | undefined): Uint8Array {
  if (buffer === null || buffer === undefined) return new Uint8Array(0);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function toBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function toKeyValue(kv: PbKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: bytes(kv.value),
    createRevision: toNumber(kv.create_revision),
    modRevision: toNumber(kv.mod_revision),
    version: toNumber(kv.version),
    lease: toNumber(kv.lease),
  };
}

export function rangeRequest(options: RangeOptions): PbRangeRequest {
  return {
    ...keyRange(options),
    ...(options.limit !== undefined && options.limit > 0 ? { limit: String(options.limit) } : {}),
    ...(options.revision !== undefined && options.revision > 0 ? { revision: String(options.revision) } : {}),
    keys_only: options.keysOnly === true,
    count_only: options.countOnly === true,
  };
}

export function keyRange(range: KeyRange): { key: Buffer; range_end?: Buffer } {
  return range.rangeEnd !== undefined ? { key: Buffer.from(range.key), range_end: Buffer.from(range.rangeEnd) } : { key: Buffer.from(range.key) };
}

export function rangeResult(response: PbRangeResponse): RangeResult {
  return {
    revision: toNumber(response.header.revision),
    kvs: response.kvs.map(toKeyValue),
    more: response.more,
    count: toNumber(response.count),
  };
}

const COMPARE_RESULT: Record<Compare['op'], PbCompareResult> = { '=': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' };
const COMPARE_TARGET: Record<Compare['target'], PbCompareTarget> = {
  modRevision: 'Mod',
  createRevision: 'Create',
  version: 'Version',
  lease: 'Lease',
  value: 'Value',
};

export function compare(c: Compare): PbCompare {
  const base = { result: COMPARE_RESULT[c.op], target: COMPARE_TARGET[c.target], key: Buffer.from(c.key) };
  switch (c.target) {
    case 'value':
      return { ...base, value: toBuffer(c.value) };
    case 'modRevision':
      return { ...base, mod_revision: String(c.value) };
    case 'createRevision':
      return { ...base, create_revision: String(c.value) };
    case 'version':
      return { ...base, version: String(c.value) };
    case 'lease':
      return { ...base, lease: String(c.value) };
  }
}

export function requestOp(op: TxnOp): PbRequestOp {
  switch (op.type) {
    case 'put':
      return { request_put: { key: Buffer.from(op.key), value: toBuffer(op.value), lease: String(op.lease ?? 0), prev_kv: op.prevKv === true } };
    case 'delete':
      return { request_delete_range: { ...keyRange(op.range), prev_kv: op.prevKv === true } };
    case 'range':
      return { request_range: rangeRequest(op.range) };
  }
}

export function responseOp(op: PbResponseOp): TxnOpResult {
  if (op.response_put) {
    const prev = op.response_put.prev_kv;
    return prev ? { type: 'put', prevKv: toKeyValue(prev) } : { type: 'put' };
  }
  if (op.response_delete_range) {
    const d = op.response_delete_range;
    const result = { type: 'delete' as const, deleted: toNumber(d.deleted) };
    return d.prev_kvs.length > 0 ? { ...result, prevKvs: d.prev_kvs.map(toKeyValue) } : result;
  }
  if (op.response_range) return { type: 'range', result: rangeResult(op.response_range) };
  throw new Error('etcd returned a transaction response of an unexpected kind (nested txn)');
}
