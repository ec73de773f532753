/** KV.DeleteRange: a key or a range, in one revision, optionally returning what was deleted. */
import type { FaceContext } from './context.js';
import { header } from './header.js';
import { kvToWire, rangeFromWire } from './keys.js';
import type { DeleteRangeRequest, DeleteRangeResponse } from './messages.js';

export async function deleteRange(ctx: FaceContext, req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
  const range = rangeFromWire(req.key, req.range_end);
  const result = await ctx.backend.txn([], [{ type: 'delete', range, ...(req.prev_kv ? { prevKv: true } : {}) }], []);
  const r = result.results[0];
  if (r?.type !== 'delete') throw new Error('internal: datastore answered a delete with no delete result');
  return {
    header: header(ctx.identity, result.revision),
    deleted: r.deleted,
    prev_kvs: req.prev_kv ? (r.prevKvs ?? []).map((kv) => kvToWire(kv)) : [],
  };
}
