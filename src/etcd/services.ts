/**
 * The method table: every method of every etcd v3 service gets a handler. The ones this face
 * implements call the verb files; every other one answers UNIMPLEMENTED naming the method, so a
 * client learns at once what it cannot do here instead of getting a silent no-op.
 */
import {
  status as Status,
  type handleUnaryCall,
  type ServerDuplexStream,
  type ServiceDefinition,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { memberList } from './cluster.js';
import { compact } from './compact.js';
import type { FaceContext } from './context.js';
import { deleteRange } from './delete-range.js';
import { toStatus } from './errors.js';
import { leaseGrant, leaseLeases, leaseRevoke, leaseTimeToLive, serveLeaseKeepAlive } from './lease.js';
import { alarm, status } from './maintenance.js';
import { encodeRangeResponse } from './encode.js';
import type { RangeResponse, WatchRequest, WatchResponse } from './messages.js';
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

function unary(ctx: FaceContext, method: string, verb: Verb): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = performance.now();
    const done = (): void => {
      const ms = performance.now() - started;
      // The method only: keys and values may be secrets.
      if (ms > SLOW_REQUEST_MS) ctx.log.warn({ method, ms: Math.round(ms) }, 'etcd request took too long');
    };
    verb(ctx, call.request).then(
      (res) => {
        done();
        callback(null, res);
      },
      (err: unknown) => {
        done();
        callback(toStatus(err, ctx.log, method));
      },
    );
  };
}

function unimplemented(method: string, streaming: boolean): UntypedHandleCall {
  const details = `${method}: not implemented by the k3s datastore's etcd face`;
  if (!streaming) {
    const handler: handleUnaryCall<unknown, unknown> = (_call, callback) => callback({ code: Status.UNIMPLEMENTED, details });
    return handler;
  }
  return (call: { emit(event: 'error', err: unknown): void }) => call.emit('error', { code: Status.UNIMPLEMENTED, details });
}

export function implementations(ctx: FaceContext): { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[] {
  const services = etcdServices();
  return (Object.keys(services) as EtcdServiceName[]).map((service) => {
    // KV.Range answers can be huge: encode them directly (encode.ts) rather than by reflection.
    const definition: ServiceDefinition =
      service === 'KV' && services.KV.Range
        ? { ...services.KV, Range: { ...services.KV.Range, responseSerialize: (res: RangeResponse) => encodeRangeResponse(res) } }
        : services[service];
    const implementation: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      const full = `etcdserverpb.${service}/${name}`;
      const verb = UNARY[service]?.[name];
      if (verb) implementation[name] = unary(ctx, full, verb);
      else if (service === 'Watch' && name === 'Watch') implementation[name] = (call: ServerDuplexStream<WatchRequest, WatchResponse>) => serveWatch(ctx, call);
      else if (service === 'Lease' && name === 'LeaseKeepAlive') implementation[name] = ((call: Parameters<typeof serveLeaseKeepAlive>[1]) => serveLeaseKeepAlive(ctx, call)) as UntypedHandleCall;
      else implementation[name] = unimplemented(full, method.responseStream);
    }
    return { definition, implementation };
  });
}
