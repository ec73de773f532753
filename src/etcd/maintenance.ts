/**
 * Maintenance.Status and Alarm(GET): what `etcdctl endpoint status` and health checks read.
 * One member that is always the leader; raft index = the store revision (every write is one
 * entry); the version is the etcd API level this face speaks.
 */
import type { FaceContext } from './context.js';
import { errUnimplemented } from './errors.js';
import { header } from './header.js';
import { AlarmAction, type ResponseHeader } from './messages.js';

export const ETCD_API_VERSION = '3.5.13';

export async function status(ctx: FaceContext): Promise<Record<string, unknown> & { header: ResponseHeader }> {
  const [revision, dbSize] = await Promise.all([ctx.backend.currentRevision(), ctx.backend.dbSize()]);
  return {
    header: header(ctx.identity, revision),
    version: ETCD_API_VERSION,
    dbSize,
    leader: ctx.identity.memberId,
    raftIndex: revision,
    raftTerm: ctx.identity.raftTerm,
    raftAppliedIndex: revision,
    errors: [],
    dbSizeInUse: dbSize,
    isLearner: false,
  };
}

/** No alarms are ever raised (there is no space quota); only listing them is meaningful. */
export async function alarm(ctx: FaceContext, req: { action: number }): Promise<{ header: ResponseHeader; alarms: never[] }> {
  if (req.action !== AlarmAction.GET) throw errUnimplemented('etcdserverpb.Maintenance/Alarm', 'raising or clearing alarms is not supported (this datastore raises none)');
  return { header: header(ctx.identity, await ctx.backend.currentRevision()), alarms: [] };
}
