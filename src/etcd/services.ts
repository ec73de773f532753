/**
 * The method table: every method of every etcd v3 service gets a route. The ones this face
 * implements call the verb files; every other one answers UNIMPLEMENTED naming the method, so a
 * client learns at once what it cannot do here instead of getting a silent no-op.
 */
import { status as Status } from '@grpc/grpc-js';
import { memberList } from './cluster.js';
import { compact } from './compact.js';
import type { FaceContext } from './context.js';
import { deleteRange } from './delete-range.js';
import { toStatus } from './errors.js';
import type { ServerCall } from './grpc/call.js';
import type { Route } from './grpc/connection.js';
import { leaseGrant, leaseLeases, leaseRevoke, leaseTimeToLive, serveLeaseKeepAlive } from './lease.js';
import { alarm, status } from './maintenance.js';
import { encodeRangeResponse } from './encode.js';
import type { RangeResponse } from './messages.js';
import { etcdServices, type EtcdServiceName } from './proto.js';
import { put } from './put.js';
import { range } from './range.js';
import { txn } from './txn.js';
import { serveWatch } from './watch.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- requests arrive as decoded protobuf objects typed per verb
type Verb = (ctx: FaceContext, req: any) => Promise<unknown>;

const UNARY: Partial<Record<EtcdServiceName, Record<string, Verb>>> = {
  KV: { Range: range, Put: put, DeleteRange: deleteRange, Txn: txn, Compact: compact },
  Lease: { LeaseGrant: leaseGrant, LeaseRevoke: leaseRevoke, LeaseTimeToLive: leaseTimeToLive, LeaseLeases: leaseLeases },
  Maintenance: { Status: status, Alarm: alarm },
  Cluster: { MemberList: memberList },
};

/** Requests slower than this are logged, as etcd warns about applies that took too long. */
const SLOW_REQUEST_MS = 500;

/** A unary call: one request message, then the client's half-close, then one answer. */
function unary(ctx: FaceContext, method: string, verb: Verb): (call: ServerCall) => void {
  return (call) => {
    let request: unknown;
    let received = false;
    call.on('data', (req: unknown) => {
      if (received) {
        call.fail({ code: Status.UNIMPLEMENTED, details: `${method} takes one request message, not a stream` });
        return;
      }
      request = req;
      received = true;
    });
    call.on('end', () => {
      if (!received) {
        call.fail({ code: Status.INTERNAL, details: `${method}: the request stream ended without a message` });
        return;
      }
      const started = performance.now();
      const done = (): void => {
        const ms = performance.now() - started;
        // The method only: keys and values may be secrets.
        if (ms > SLOW_REQUEST_MS) ctx.log.warn({ method, ms: Math.round(ms) }, 'etcd request took too long');
      };
      verb(ctx, request).then(
        (res) => {
          done();
          call.write(res);
          call.end();
        },
        (err: unknown) => {
          done();
          call.fail(toStatus(err, ctx.log, method));
        },
      );
    });
  };
}

/** Every etcd v3 method by its request path. */
export function routes(ctx: FaceContext): Map<string, Route> {
  const services = etcdServices();
  const table = new Map<string, Route>();
  for (const service of Object.keys(services) as EtcdServiceName[]) {
    for (const [name, definition] of Object.entries(services[service])) {
      const full = `etcdserverpb.${service}/${name}`;
      // KV.Range answers can be huge: encode them directly (encode.ts) rather than by reflection.
      const method = service === 'KV' && name === 'Range' ? { ...definition, responseSerialize: (res: RangeResponse) => encodeRangeResponse(res) } : definition;
      const verb = UNARY[service]?.[name];
      let handle: (call: ServerCall) => void;
      if (verb) handle = unary(ctx, full, verb);
      else if (service === 'Watch' && name === 'Watch') handle = (call) => serveWatch(ctx, call);
      else if (service === 'Lease' && name === 'LeaseKeepAlive') handle = (call) => serveLeaseKeepAlive(ctx, call);
      else handle = (call) => call.fail({ code: Status.UNIMPLEMENTED, details: `${full}: not implemented by the k3s datastore's etcd face` });
      table.set(definition.path, { method, handle });
    }
  }
  return table;
}
