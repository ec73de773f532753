/**
 * KV.Compact: drop history below a revision. Asking for a revision not yet written is etcd's
 * "future revision"; one below what is already compacted is etcd's "compacted". Compacting
 * exactly at the current floor again is accepted as a no-op.
 */
import type { FaceContext } from './context.js';
import { errCompacted, errFutureRev } from './errors.js';
import { header } from './header.js';
import type { CompactionRequest, ResponseHeader } from './messages.js';

export async function compact(ctx: FaceContext, req: CompactionRequest): Promise<{ header: ResponseHeader }> {
  const current = await ctx.backend.currentRevision();
  if (req.revision > current) throw errFutureRev();
  if (req.revision < (await ctx.backend.compactRevision())) throw errCompacted();
  await ctx.backend.compact(req.revision);
  return { header: header(ctx.identity, current) };
}
