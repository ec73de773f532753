/**
 * KV.Txn: compares, then the success or the failure ops, atomically.
 *
 * Flat transactions (compares on single keys; range, put and delete ops) map one to one onto
 * Backend.txn. Two etcd forms the Backend cannot express are decided here instead: nested
 * transactions (RequestOp.request_txn), whose inner compares etcd evaluates against the state
 * before the outer transaction runs, and puts with ignore_value/ignore_lease, which keep the
 * key's current value or lease. For those the face reads every key involved in one atomic
 * snapshot, picks the branches and fills in the kept values, and commits the resulting flat op
 * list guarded by "each of those keys still has the modRevision I read"; if a concurrent write
 * got in between, the guard fails and it starts over. The outcome is exactly what etcd would
 * have done at the commit's revision.
 */
import type { Compare, KeyRange, KeyValue, TxnOp, TxnOpResult } from '../datastore/types.js';
import { compareFromWire, evaluate } from './compare.js';
import type { FaceContext } from './context.js';
import { EtcdError, errDuplicateKey, errEmptyKey, errKeyNotFound, errLeaseProvided, errTooManyOps, errValueProvided } from './errors.js';
import { header } from './header.js';
import { inRange, keyFromWire, kvToWire, rangeFromWire } from './keys.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, ResponseOp, TxnRequest, TxnResponse } from './messages.js';
import { planRange } from './range.js';
import { status as Status } from '@grpc/grpc-js';

/** Optimistic rounds before giving up under write contention on the same keys. */
const MAX_ATTEMPTS = 64;

export async function txn(ctx: FaceContext, req: TxnRequest): Promise<TxnResponse> {
  validate(ctx, req);
  return needsEvaluation(req) ? evaluated(ctx, req) : direct(ctx, req);
}

// ---- flat transactions -------------------------------------------------------------------

type Finish = (result: TxnOpResult, revision: number) => ResponseOp;
interface Translated {
  readonly op: TxnOp;
  readonly finish: Finish;
}

async function direct(ctx: FaceContext, req: TxnRequest): Promise<TxnResponse> {
  const compares = req.compare.map(compareFromWire);
  const success = req.success.map((op) => translate(ctx, op));
  const failure = req.failure.map((op) => translate(ctx, op));
  const result = await ctx.backend.txn(
    compares,
    success.map((t) => t.op),
    failure.map((t) => t.op),
  );
  const chosen = result.succeeded ? success : failure;
  return {
    header: header(ctx.identity, result.revision),
    succeeded: result.succeeded,
    responses: chosen.map((t, i) => t.finish(opResult(result.results, i), result.revision)),
  };
}

function opResult(results: readonly TxnOpResult[], i: number): TxnOpResult {
  const r = results[i];
  if (!r) throw new Error(`datastore returned ${results.length} txn results, expected at least ${i + 1}`);
  return r;
}

/** One non-txn RequestOp as a Backend op plus how to answer it; `current` fills ignore_* puts. */
function translate(ctx: FaceContext, op: RequestOp, current?: (key: string) => KeyValue | undefined): Translated {
  if (op.request_range) return translateRange(ctx, op.request_range);
  if (op.request_put) return translatePut(ctx, op.request_put, current);
  if (op.request_delete_range) return translateDelete(ctx, op.request_delete_range);
  throw new EtcdError(Status.INVALID_ARGUMENT, 'etcdserver: a txn request op is empty');
}

function translateRange(ctx: FaceContext, r: RangeRequest): Translated {
  const plan = planRange(r);
  return {
    op: { type: 'range', range: plan.options },
    finish: (res) => {
      if (res.type !== 'range') throw new Error(`datastore answered a range op with ${res.type}`);
      return { response_range: { header: header(ctx.identity, res.result.revision), ...plan.finish(res.result) } };
    },
  };
}

function translatePut(ctx: FaceContext, p: PutRequest, current?: (key: string) => KeyValue | undefined): Translated {
  const key = keyFromWire(p.key);
  let value: Uint8Array = p.value;
  let lease = p.lease;
  if (p.ignore_value || p.ignore_lease) {
    const kv = current?.(key);
    if (!kv) throw errKeyNotFound();
    if (p.ignore_value) value = kv.value;
    if (p.ignore_lease) lease = kv.lease;
  }
  return {
    op: { type: 'put', key, value, ...(lease !== 0 ? { lease } : {}), ...(p.prev_kv ? { prevKv: true } : {}) },
    finish: (res, revision) => {
      if (res.type !== 'put') throw new Error(`datastore answered a put op with ${res.type}`);
      return { response_put: { header: header(ctx.identity, revision), ...(p.prev_kv && res.prevKv ? { prev_kv: kvToWire(res.prevKv) } : {}) } };
    },
  };
}

function translateDelete(ctx: FaceContext, d: DeleteRangeRequest): Translated {
  return {
    op: { type: 'delete', range: rangeFromWire(d.key, d.range_end), ...(d.prev_kv ? { prevKv: true } : {}) },
    finish: (res, revision) => {
      if (res.type !== 'delete') throw new Error(`datastore answered a delete op with ${res.type}`);
      return {
        response_delete_range: {
          header: header(ctx.identity, revision),
          deleted: res.deleted,
          prev_kvs: d.prev_kv ? (res.prevKvs ?? []).map((kv) => kvToWire(kv)) : [],
        },
      };
    },
  };
}

// ---- nested transactions and ignore_value/ignore_lease -------------------------------------

function needsEvaluation(req: TxnRequest): boolean {
  const op = (o: RequestOp): boolean => !!o.request_txn || !!(o.request_put && (o.request_put.ignore_value || o.request_put.ignore_lease));
  return req.success.some(op) || req.failure.some(op);
}

/** The chosen path through a (nested) txn: per op either a flat op or a nested shape. */
interface Shape {
  readonly succeeded: boolean;
  readonly items: ({ readonly finish: Finish } | { readonly nested: Shape })[];
}

async function evaluated(ctx: FaceContext, req: TxnRequest): Promise<TxnResponse> {
  const keys = [...keysToRead(req, new Set<string>())];
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const snapshot = await ctx.backend.txn([], keys.map((key): TxnOp => ({ type: 'range', range: { key } })), []);
    const state = new Map<string, KeyValue | undefined>();
    keys.forEach((key, i) => {
      const r = snapshot.results[i];
      state.set(key, r?.type === 'range' ? r.result.kvs[0] : undefined);
    });
    const ops: TxnOp[] = [];
    const shape = choose(ctx, req, state, ops);
    const guards: Compare[] = keys.map((key) => ({ key, target: 'modRevision', op: '=', value: state.get(key)?.modRevision ?? 0 }));
    const result = await ctx.backend.txn(guards, ops, []);
    if (!result.succeeded) continue;
    let cursor = 0;
    const assemble = (s: Shape): TxnResponse => ({
      header: header(ctx.identity, result.revision),
      succeeded: s.succeeded,
      responses: s.items.map((item) => ('nested' in item ? { response_txn: assemble(item.nested) } : item.finish(opResult(result.results, cursor++), result.revision))),
    });
    return assemble(shape);
  }
  throw new EtcdError(Status.UNAVAILABLE, `etcdserver: transaction kept conflicting with concurrent writes (${MAX_ATTEMPTS} attempts); retry`);
}

function keysToRead(req: TxnRequest, into: Set<string>): Set<string> {
  for (const c of req.compare) into.add(keyFromWire(c.key));
  for (const op of [...req.success, ...req.failure]) {
    if (op.request_txn) keysToRead(op.request_txn, into);
    const p = op.request_put;
    if (p && (p.ignore_value || p.ignore_lease)) into.add(keyFromWire(p.key));
  }
  return into;
}

function choose(ctx: FaceContext, req: TxnRequest, state: ReadonlyMap<string, KeyValue | undefined>, ops: TxnOp[]): Shape {
  const succeeded = req.compare.every((c) => {
    const compare = compareFromWire(c);
    return evaluate(compare, state.get(compare.key));
  });
  const items = (succeeded ? req.success : req.failure).map((op) => {
    if (op.request_txn) return { nested: choose(ctx, op.request_txn, state, ops) };
    const t = translate(ctx, op, (key) => state.get(key));
    ops.push(t.op);
    return { finish: t.finish };
  });
  return { succeeded, items };
}

// ---- validation, as etcd checks a request before applying it ---------------------------------

function validate(ctx: FaceContext, req: TxnRequest): void {
  checkShape(ctx, req);
  writes(req.success);
  writes(req.failure);
}

function checkShape(ctx: FaceContext, req: TxnRequest): void {
  if (req.success.length > ctx.maxTxnOps || req.failure.length > ctx.maxTxnOps) throw errTooManyOps();
  for (const c of req.compare) if (c.key.length === 0) throw errEmptyKey();
  for (const op of [...req.success, ...req.failure]) {
    if (op.request_txn) checkShape(ctx, op.request_txn);
    else if (op.request_range) {
      if (op.request_range.key.length === 0) throw errEmptyKey();
    } else if (op.request_put) checkPut(op.request_put);
    else if (op.request_delete_range) {
      if (op.request_delete_range.key.length === 0) throw errEmptyKey();
    }
  }
}

/** etcd's checks of a Put's fields, before anything is read. */
export function checkPut(p: PutRequest): void {
  if (p.key.length === 0) throw errEmptyKey();
  if (p.ignore_value && p.value.length > 0) throw errValueProvided();
  if (p.ignore_lease && p.lease !== 0) throw errLeaseProvided();
}

interface Writes {
  readonly puts: Set<string>;
  readonly deletes: KeyRange[];
}

/**
 * The keys one branch writes. etcd refuses a txn that writes a key twice on one path: two puts
 * of a key, or a put inside a deleted range (a nested txn's two branches may each write it,
 * since only one of them runs).
 */
function writes(ops: readonly RequestOp[]): Writes {
  const items: Writes[] = ops.map((op) => {
    if (op.request_put) return { puts: new Set([keyFromWire(op.request_put.key)]), deletes: [] };
    if (op.request_delete_range) return { puts: new Set(), deletes: [rangeFromWire(op.request_delete_range.key, op.request_delete_range.range_end)] };
    if (op.request_txn) {
      const s = writes(op.request_txn.success);
      const f = writes(op.request_txn.failure);
      return { puts: new Set([...s.puts, ...f.puts]), deletes: [...s.deletes, ...f.deletes] };
    }
    return { puts: new Set(), deletes: [] };
  });
  const owner = new Map<string, number>();
  items.forEach((item, i) => {
    for (const key of item.puts) {
      if (owner.has(key)) throw errDuplicateKey();
      owner.set(key, i);
    }
  });
  items.forEach((item, i) => {
    for (const range of item.deletes) {
      for (const [key, j] of owner) if (j !== i && inRange(range, key)) throw errDuplicateKey();
    }
  });
  return { puts: new Set(owner.keys()), deletes: items.flatMap((item) => item.deletes) };
}
