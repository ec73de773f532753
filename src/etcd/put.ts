/** KV.Put: one key, optionally returning the previous pair, keeping value or lease on request. */
import type { FaceContext } from './context.js';
import { header } from './header.js';
import { keyFromWire, kvToWire } from './keys.js';
import type { PutRequest, PutResponse } from './messages.js';
import { checkPut, txn } from './txn.js';

export async function put(ctx: FaceContext, req: PutRequest): Promise<PutResponse> {
  checkPut(req);
  if (req.ignore_value || req.ignore_lease) {
    // Keeping the current value or lease needs a read-then-guarded-write; txn.ts does that.
    const res = await txn(ctx, { compare: [], success: [{ request: 'request_put', request_put: req }], failure: [] });
    const first = res.responses[0];
    if (!first || !('response_put' in first)) throw new Error('internal: txn answered a put with no put response');
    return { ...first.response_put, header: res.header };
  }
  const result = await ctx.backend.txn(
    [],
    [{ type: 'put', key: keyFromWire(req.key), value: req.value, ...(req.lease !== 0 ? { lease: req.lease } : {}), ...(req.prev_kv ? { prevKv: true } : {}) }],
    [],
  );
  const r = result.results[0];
  const prev = r?.type === 'put' ? r.prevKv : undefined;
  return { header: header(ctx.identity, result.revision), ...(req.prev_kv && prev ? { prev_kv: kvToWire(prev) } : {}) };
}
