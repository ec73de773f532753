/**
 * A thin etcd v3 client on @grpc/grpc-js and the same proto files the face loads: unary calls
 * as promises, streams as grpc-js duplex calls. Used by the grpc-level tests and by the
 * benchmark (the same client against our face and against a real etcd).
 */
import { credentials, makeGenericClientConstructor, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { etcdServices, type EtcdServiceName } from '../../../src/etcd/proto.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- decoded protobuf objects
export type Msg = Record<string, any>;

export interface EtcdClient {
  call(service: EtcdServiceName, method: string, request?: Msg): Promise<Msg>;
  stream(service: 'Watch' | 'Lease', method: 'Watch' | 'LeaseKeepAlive'): ClientDuplexStream<Msg, Msg>;
  close(): void;
}

/**
 * `target`: "unix:///path/to/sock" or "host:port". `ownConnection`: do not share the TCP
 * connection with other clients of the same target (grpc-js shares by default).
 */
export function etcdClient(target: string, ownConnection = false): EtcdClient {
  const services = etcdServices();
  const clients = new Map<EtcdServiceName, Client & Record<string, unknown>>();
  const client = (service: EtcdServiceName): Client & Record<string, unknown> => {
    let c = clients.get(service);
    if (!c) {
      const Ctor = makeGenericClientConstructor(services[service], service);
      // One channel for all services: grpc-js shares subchannels between clients with equal options.
      c = new Ctor(target, credentials.createInsecure(), {
        'grpc.max_receive_message_length': -1,
        ...(ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
      }) as Client & Record<string, unknown>;
      clients.set(service, c);
    }
    return c;
  };
  return {
    call(service, method, request = {}) {
      const c = client(service);
      const fn = c[method] as ((req: Msg, cb: (err: ServiceError | null, res: Msg) => void) => void) | undefined;
      if (typeof fn !== 'function') throw new Error(`no method ${service}/${method}`);
      return new Promise((resolve, reject) => fn.call(c, request, (err, res) => (err ? reject(err) : resolve(res))));
    },
    stream(service, method) {
      const c = client(service);
      const fn = c[method] as () => ClientDuplexStream<Msg, Msg>;
      return fn.call(c);
    },
    close() {
      for (const c of clients.values()) c.close();
    },
  };
}

export const bytes = (s: string): Buffer => Buffer.from(s);
export const text = (b: Buffer | Uint8Array | undefined): string => (b ? Buffer.from(b).toString() : '');
