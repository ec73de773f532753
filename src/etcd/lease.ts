/**
 * Lease: grant, revoke, keep-alive (a stream of renewals), time-to-live with the attached keys,
 * and the list of leases. Expiry itself (deleting the keys) is the Backend's job.
 *
 * As etcd: keep-alive of an unknown or expired lease answers TTL 0 instead of failing the
 * stream, and time-to-live of one answers TTL -1; revoke of one is NOT_FOUND.
 */
import { status as Status } from '@grpc/grpc-js';
import type { FaceContext } from './context.js';
import { EtcdError, errLeaseTTLTooLarge, isLeaseNotFound, toStatus } from './errors.js';
import type { ServerCall } from './grpc/call.js';
import { header } from './header.js';
import { keyToWire } from './keys.js';
import type { LeaseGrantRequest, LeaseTimeToLiveRequest, ResponseHeader } from './messages.js';

/** etcd's MaxLeaseTTL, in seconds. */
const MAX_LEASE_TTL = 9_000_000_000;

export async function leaseGrant(ctx: FaceContext, req: LeaseGrantRequest): Promise<{ header: ResponseHeader; ID: number; TTL: number; error: string }> {
  if (req.TTL > MAX_LEASE_TTL) throw errLeaseTTLTooLarge();
  if (req.ID !== 0 && (!Number.isSafeInteger(req.ID) || req.ID < 0)) {
    throw new EtcdError(Status.INVALID_ARGUMENT, `etcdserver: lease ID ${req.ID} not supported: choose a positive ID below 2^53, or 0 to let the server pick`);
  }
  const granted = await ctx.backend.leaseGrant(req.TTL, req.ID !== 0 ? req.ID : undefined);
  return { header: header(ctx.identity, await ctx.backend.currentRevision()), ID: granted.id, TTL: granted.ttl, error: '' };
}

export async function leaseRevoke(ctx: FaceContext, req: { ID: number }): Promise<{ header: ResponseHeader }> {
  await ctx.backend.leaseRevoke(req.ID);
  return { header: header(ctx.identity, await ctx.backend.currentRevision()) };
}

export async function leaseTimeToLive(
  ctx: FaceContext,
  req: LeaseTimeToLiveRequest,
): Promise<{ header: ResponseHeader; ID: number; TTL: number; grantedTTL: number; keys: Buffer[] }> {
  try {
    const info = await ctx.backend.leaseTimeToLive(req.ID);
    const expired = info.remaining < 0;
    return {
      header: header(ctx.identity, await ctx.backend.currentRevision()),
      ID: req.ID,
      TTL: expired ? -1 : info.remaining,
      grantedTTL: expired ? 0 : info.ttl,
      keys: req.keys && !expired ? info.keys.map(keyToWire) : [],
    };
  } catch (err) {
    if (!isLeaseNotFound(err)) throw err;
    return { header: header(ctx.identity, await ctx.backend.currentRevision()), ID: req.ID, TTL: -1, grantedTTL: 0, keys: [] };
  }
}

export async function leaseLeases(ctx: FaceContext): Promise<{ header: ResponseHeader; leases: { ID: number }[] }> {
  const ids = await ctx.backend.leases();
  return { header: header(ctx.identity, await ctx.backend.currentRevision()), leases: ids.map((ID) => ({ ID })) };
}

/** LeaseKeepAlive: each request renews one lease and gets one answer, in request order. */
export function serveLeaseKeepAlive(ctx: FaceContext, call: ServerCall<{ ID: number }, { header: ResponseHeader; ID: number; TTL: number }>): void {
  let queue: Promise<void> = Promise.resolve();
  let done = false;
  const finish = (): void => {
    done = true;
  };
  call.on('cancelled', finish);
  call.on('end', () => {
    void queue.then(() => {
      if (done) return;
      done = true;
      call.end();
    });
  });
  call.on('data', (req: { ID: number }) => {
    queue = queue
      .then(async () => {
        if (done) return;
        let ttl: number;
        try {
          ttl = Math.max(0, (await ctx.backend.leaseKeepAlive(req.ID)).ttl);
        } catch (err) {
          if (!isLeaseNotFound(err)) throw err;
          ttl = 0;
        }
        const revision = await ctx.backend.currentRevision();
        if (!done) call.write({ header: header(ctx.identity, revision), ID: req.ID, TTL: ttl });
      })
      .catch((err: unknown) => {
        if (done) return;
        done = true;
        call.fail(toStatus(err, ctx.log, 'etcdserverpb.Lease/LeaseKeepAlive'));
      });
  });
}
