/**
 * The etcd v3 gRPC face of the datastore: a Runnable serving KV, Watch, Lease, Maintenance and
 * Cluster over any Backend, on a unix socket (always; <data-dir>/server/kine.sock as upstream
 * k3s) and optionally on a TCP address (--etcd-listen-address). Plain gRPC without TLS or auth,
 * like kine's socket: the socket is made owner-only, and a TCP address other than loopback is
 * logged as a warning since anyone who reaches it can read every secret in the cluster.
 */
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { MAX_VALUE_BYTES, type Backend } from '../datastore/types.js';
import { logger } from '../log/index.js';
import type { Runnable } from '../supervisor/runnable.js';
import type { FaceContext, FaceStats } from './context.js';
import { H2Connection } from './grpc/connection.js';
import { identityFrom } from './header.js';
import { routes } from './services.js';

export interface EtcdFaceOptions {
  /** Unix socket path, e.g. serverPaths(config).kineSocket. */
  readonly socketPath: string;
  /** Extra TCP listener, "host:port" (port 0 picks a free one; see tcpPort). */
  readonly tcpAddress?: string | undefined;
  /** Operations allowed per Txn branch (etcd's --max-txn-ops, default 128). */
  readonly maxTxnOps?: number;
  /** Idle interval after which a progress_notify watcher hears the revision (etcd: 10 min). */
  readonly progressNotifyIntervalMs?: number;
  /** Member name in MemberList (default: the host name). */
  readonly name?: string;
}

/** etcd's request limit (1.5 MiB) plus its allowance for gRPC framing (512 KiB). */
const MAX_RECEIVE_BYTES = MAX_VALUE_BYTES + 512 * 1024;

export class EtcdFace implements Runnable {
  readonly name = 'etcd-face';
  readonly #backend: Backend;
  readonly #options: EtcdFaceOptions;
  readonly #log = logger('etcd');
  #tcpPort: number | undefined;
  readonly #stats: FaceStats = { watchPauses: 0 };
  #stopped: Promise<void> = Promise.resolve();

  constructor(backend: Backend, options: EtcdFaceOptions) {
    this.#backend = backend;
    this.#options = options;
  }

  get stats(): Readonly<FaceStats> {
    return this.#stats;
  }

  /** The bound TCP port, once started with a tcpAddress. */
  get tcpPort(): number | undefined {
    return this.#tcpPort;
  }

  /** The endpoints clients can use, e.g. for etcdctl --endpoints. */
  get clientUrls(): string[] {
    const urls = [`unix://${this.#options.socketPath}`];
    if (this.#options.tcpAddress !== undefined && this.#tcpPort !== undefined) {
      urls.push(`http://${withPort(this.#options.tcpAddress, this.#tcpPort)}`);
    }
    return urls;
  }

  async start(signal: AbortSignal): Promise<void> {
    const ctx: FaceContext = {
      backend: this.#backend,
      identity: identityFrom(this.#options.socketPath, this.#options.name ?? hostname()),
      log: this.#log,
      maxTxnOps: this.#options.maxTxnOps ?? 128,
      progressNotifyIntervalMs: this.#options.progressNotifyIntervalMs ?? 10 * 60_000,
      clientUrls: () => this.clientUrls,
      stats: this.#stats,
    };
    const table = routes(ctx);
    const connections = new Set<H2Connection>();
    const accept = (socket: Socket): void => {
      const connection = new H2Connection(socket, { route: (path) => table.get(path), maxReceiveBytes: MAX_RECEIVE_BYTES });
      connections.add(connection);
      socket.on('close', () => connections.delete(connection));
    };
    const listeners: NetServer[] = [];
    const socket = this.#options.socketPath;
    try {
      // sun_path holds 107 bytes plus NUL; a longer path fails inside listen() with a vague EINVAL.
      if (Buffer.byteLength(socket) > 107) {
        throw new Error(`etcd face: the socket path ${socket} is ${Buffer.byteLength(socket)} bytes, more than the 107 a unix socket path may have; use a shorter --data-dir`);
      }
      clearStaleSocket(socket);
      mkdirSync(dirname(socket), { recursive: true, mode: 0o700 });
      listeners.push(await listen(createServer(accept), { path: socket }, `unix://${socket}`));
      // Whoever can connect can read every key: owner only.
      chmodSync(socket, 0o600);
      if (this.#options.tcpAddress !== undefined) {
        const { host, port } = splitHostPort(this.#options.tcpAddress);
        const tcp = await listen(createServer(accept), { host, port }, this.#options.tcpAddress);
        listeners.push(tcp);
        const address = tcp.address();
        this.#tcpPort = typeof address === 'object' && address ? address.port : port;
        if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
          this.#log.warn({ address: this.#options.tcpAddress }, 'etcd face listens beyond loopback without TLS or authentication: anyone who can reach it can read and change all cluster data');
        }
      }
    } catch (err) {
      for (const l of listeners) l.close();
      throw err;
    }
    this.#log.info({ endpoints: this.clientUrls }, 'etcd v3 API serving');

    let resolveStopped!: () => void;
    this.#stopped = new Promise((resolve) => (resolveStopped = resolve));
    const stop = (): void => {
      // Watch and keep-alive streams never end on their own: cancel every call, then close.
      for (const l of listeners) l.close();
      for (const c of connections) c.close();
      rmSync(socket, { force: true });
      this.#log.info('etcd v3 API stopped');
      resolveStopped();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  }

  stopped(): Promise<void> {
    return this.#stopped;
  }
}

function listen(server: NetServer, options: { path: string } | { host: string; port: number }, what: string): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`etcd face: cannot listen on ${what}: ${err.message}`, { cause: err })));
    server.listen(options, () => resolve(server));
  });
}

/** A socket left by a crashed server is removed; any other file at that path is not ours to delete. */
function clearStaleSocket(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new Error(`etcd face: ${path} exists and is not a socket; move it away so the etcd socket can be created there`);
  rmSync(path);
}

/** "host:port" or "[v6]:port". */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]*):(\d+)$/.exec(address);
  if (!m) throw new Error(`etcd face: listen address "${address}" is not host:port`);
  return { host: m[1] === '' ? '0.0.0.0' : (m[1] ?? ''), port: Number(m[2]) };
}

function withPort(address: string, port: number): string {
  const { host } = splitHostPort(address);
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
