/**
 * KV.Range, and the range ops inside a Txn. The Backend reads keys in key order with a limit;
 * etcd's other sort orders and its min/max revision filters need every key of the range first,
 * so the plan asks the Backend for the whole range in that case and sorts, filters and cuts
 * here, as etcd does itself (its count stays the size of the unfiltered range).
 */
import type { KeyValue, RangeOptions, RangeResult } from '../datastore/types.js';
import type { FaceContext } from './context.js';
import { header } from './header.js';
import { kvToWire, rangeFromWire } from './keys.js';
import { SortOrder, SortTarget, type RangeRequest, type RangeResponse } from './messages.js';

export interface RangePlan {
  /** What to ask the Backend for. */
  readonly options: RangeOptions;
  /** Turns the Backend's answer into etcd's. */
  finish(result: RangeResult): Omit<RangeResponse, 'header'>;
}

export function planRange(req: RangeRequest): RangePlan {
  const range = rangeFromWire(req.key, req.range_end);
  const limit = req.limit > 0 ? req.limit : 0;
  let order = req.sort_order;
  // etcd: a sort target without an order means ascending.
  if (order === SortOrder.NONE && req.sort_target !== SortTarget.KEY) order = SortOrder.ASCEND;
  const sorts = order !== SortOrder.NONE && !(order === SortOrder.ASCEND && req.sort_target === SortTarget.KEY);
  const filters = req.min_mod_revision > 0 || req.max_mod_revision > 0 || req.min_create_revision > 0 || req.max_create_revision > 0;
  const post = !req.count_only && (sorts || filters);
  const options: RangeOptions = {
    ...range,
    ...(req.revision > 0 ? { revision: req.revision } : {}),
    ...(!post && limit > 0 ? { limit } : {}),
    // Sorting by value needs the values even when the client wants keys only.
    ...(req.keys_only && !(post && req.sort_target === SortTarget.VALUE) ? { keysOnly: true } : {}),
    ...(req.count_only ? { countOnly: true } : {}),
  };
  return {
    options,
    finish(result) {
      if (req.count_only) return { kvs: [], more: false, count: result.count };
      if (!post) return { kvs: result.kvs.map((kv) => kvToWire(kv, req.keys_only)), more: result.more, count: result.count };
      let kvs = filters ? result.kvs.filter((kv) => passes(req, kv)) : result.kvs.slice();
      if (sorts) sortKvs(kvs, req.sort_target, order === SortOrder.DESCEND);
      let more = false;
      if (limit > 0 && kvs.length > limit) {
        kvs = kvs.slice(0, limit);
        more = true;
      }
      return { kvs: kvs.map((kv) => kvToWire(kv, req.keys_only)), more, count: result.count };
    },
  };
}

function passes(req: RangeRequest, kv: KeyValue): boolean {
  if (req.min_mod_revision > 0 && kv.modRevision < req.min_mod_revision) return false;
  if (req.max_mod_revision > 0 && kv.modRevision > req.max_mod_revision) return false;
  if (req.min_create_revision > 0 && kv.createRevision < req.min_create_revision) return false;
  if (req.max_create_revision > 0 && kv.createRevision > req.max_create_revision) return false;
  return true;
}

function sortKvs(kvs: KeyValue[], target: number, descending: boolean): void {
  const compare = (a: KeyValue, b: KeyValue): number => {
    switch (target) {
      case SortTarget.VERSION:
        return a.version - b.version;
      case SortTarget.CREATE:
        return a.createRevision - b.createRevision;
      case SortTarget.MOD:
        return a.modRevision - b.modRevision;
      case SortTarget.VALUE:
        return Buffer.compare(a.value, b.value);
      default:
        return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    }
  };
  kvs.sort(descending ? (a, b) => compare(b, a) : compare);
}

export async function range(ctx: FaceContext, req: RangeRequest): Promise<RangeResponse> {
  const plan = planRange(req);
  const result = await ctx.backend.range(plan.options);
  return { header: header(ctx.identity, result.revision), ...plan.finish(result) };
}
