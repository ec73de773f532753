/**
 * gRPC connection to an external etcd cluster: one channel to one member at a time (every
 * service client shares it), moving to the next member when the current one is unavailable.
 * Reads are retried on the next member; writes are not, because a write whose connection broke
 * may still have been applied and retrying it could apply it twice.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { credentials, status, type ChannelCredentials, type Client, type ClientOptions, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from '../../log/index.js';
import { memberAddress, type EtcdEndpoint } from '../endpoint.js';
import { etcdServices } from './proto.js';

export type ServiceName = 'KV' | 'Watch' | 'Lease' | 'Maintenance';

/** The four service clients of one member, sharing one channel. */
export type Clients = Readonly<Record<ServiceName, Client>>;

const CHANNEL_OPTIONS: ClientOptions = {
  // A list of 10k keys of 1 KiB is ~10 MiB, past grpc's 4 MiB default.
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // Pings only while calls are open: etcd's server-side policy may answer pings on an idle
  // connection with GOAWAY (too_many_pings).
  'grpc.keepalive_permit_without_calls': 0,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

export class EtcdConnection {
  readonly #members: readonly string[];
  readonly #describe: string[];
  readonly #hosts: string[];
  readonly #requestTimeoutMs: number;
  readonly #log: Logger;
  #creds: ChannelCredentials | undefined;
  #current = 0;
  #clients: Clients | undefined;
  #closed = false;

  constructor(
    private readonly endpoint: EtcdEndpoint,
    options: { requestTimeoutMs: number; log: Logger },
  ) {
    this.#members = endpoint.members.map((m) => `${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}`);
    this.#describe = endpoint.members.map(memberAddress);
    this.#hosts = endpoint.members.map((m) => m.host);
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#log = options.log;
  }

  /** Reads the TLS files; a missing or unreadable file is a configuration error naming the flag. */
  async loadCredentials(): Promise<void> {
    const tls = this.endpoint.tls;
    if (tls === undefined) {
      this.#creds = credentials.createInsecure();
      return;
    }
    const read = async (file: string | undefined, flag: string): Promise<Buffer | null> => {
      if (file === undefined) return null;
      try {
        return await readFile(file);
      } catch (err) {
        throw new Error(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
      }
    };
    const [ca, cert, key] = await Promise.all([read(tls.caFile, '--datastore-cafile'), read(tls.certFile, '--datastore-certfile'), read(tls.keyFile, '--datastore-keyfile')]);
    this.#creds = credentials.createSsl(ca, key, cert, {
      // The certificate is checked against the member's real host, IP addresses included (see
      // #channelOptions for why the name grpc-js sees may differ).
      checkServerIdentity: (_name, peer) => checkServerIdentity(this.#hosts[this.#current] ?? '', peer),
    });
  }

  /**
   * grpc-js sends the target host as TLS SNI, which for an IP address makes Node warn (RFC 6066
   * forbids IP addresses in SNI). For IP members we give grpc-js a neutral name instead; the
   * identity check above still verifies the certificate against the IP.
   */
  #channelOptions(): ClientOptions {
    const host = this.#hosts[this.#current] ?? '';
    if (this.endpoint.tls === undefined || isIP(host) === 0) return CHANNEL_OPTIONS;
    return { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': 'etcd', 'grpc.default_authority': this.#members[this.#current] ?? '' };
  }

  /** The member currently in use, for messages. */
  get member(): string {
    return this.#describe[this.#current] ?? '';
  }

  get requestTimeoutMs(): number {
    return this.#requestTimeoutMs;
  }

  clients(): Clients {
    if (this.#closed) throw new Error('the etcd datastore is closed');
    if (this.#clients !== undefined) return this.#clients;
    if (this.#creds === undefined) throw new Error('etcd connection used before start()');
    const services = etcdServices();
    const address = this.#members[this.#current] ?? '';
    const options = this.#channelOptions();
    const kv = new services.KV(address, this.#creds, options);
    const shared: ClientOptions = { ...options, channelOverride: kv.getChannel() };
    this.#clients = {
      KV: kv,
      Watch: new services.Watch(address, this.#creds, shared),
      Lease: new services.Lease(address, this.#creds, shared),
      Maintenance: new services.Maintenance(address, this.#creds, shared),
    };
    return this.#clients;
  }

  /** Drops the current member's channel and uses the next member for the following calls. */
  rotate(): void {
    if (this.#members.length <= 1) return;
    const failed = this.member;
    this.#closeClients();
    this.#current = (this.#current + 1) % this.#members.length;
    this.#log.warn({ failed, next: this.member }, 'etcd member unavailable; switching to the next member');
  }

  /**
   * One unary call with a deadline. `retry` (reads only): on UNAVAILABLE try each other member
   * once before giving up.
   */
  async unary<Res>(service: ServiceName, method: string, request: object, retry: boolean): Promise<Res> {
    const attempts = retry ? Math.max(1, this.#members.length) : 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const client = this.clients()[service];
      try {
        return await callUnary<Res>(client, method, request, this.#requestTimeoutMs);
      } catch (err) {
        lastError = err;
        if (!isUnavailable(err)) throw err;
        this.rotate();
      }
    }
    throw lastError;
  }

  close(): void {
    this.#closed = true;
    this.#closeClients();
  }

  #closeClients(): void {
    const clients = this.#clients;
    this.#clients = undefined;
    if (clients === undefined) return;
    // The channel is shared: closing the owning KV client closes it for all four.
    for (const c of Object.values(clients)) c.close();
  }
}

type UnaryMethod = (request: object, options: { deadline: Date }, callback: (err: ServiceError | null, response: unknown) => void) => void;

function callUnary<Res>(client: Client, method: string, request: object, timeoutMs: number): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (fn === undefined) return Promise.reject(new Error(`etcd client has no method ${method}`));
  return new Promise<Res>((resolve, reject) => {
    fn.call(client, request, { deadline: new Date(Date.now() + timeoutMs) }, (err, response) => {
      if (err) reject(err);
      else resolve(response as Res);
    });
  });
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

export function isUnavailable(err: unknown): boolean {
  return isServiceError(err) && (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED);
}
