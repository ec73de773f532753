/** Cluster.MemberList: the single member that is this server, with the URLs it serves on. */
import type { FaceContext } from './context.js';
import { header } from './header.js';
import type { ResponseHeader } from './messages.js';

export async function memberList(ctx: FaceContext): Promise<{ header: ResponseHeader; members: Record<string, unknown>[] }> {
  return {
    header: header(ctx.identity, await ctx.backend.currentRevision()),
    // No peer URLs: there is no raft peer traffic to advertise.
    members: [{ ID: ctx.identity.memberId, name: ctx.identity.name, peerURLs: [], clientURLs: ctx.clientUrls(), isLearner: false }],
  };
}
