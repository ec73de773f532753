/**
 * The API server as a Runnable: watch cache, registry, REST verbs, and an HTTPS listener speaking
 * HTTP/2 and HTTP/1.1 (kubectl uses HTTP/2; watches and upgrades may use HTTP/1.1). Client
 * certificates are requested but not required: unauthenticated clients still reach /version and
 * the health checks, everything else answers 401.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { Catalogue } from '../api/catalogue.js';
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/types.js';
import type { Backend } from '../datastore/types.js';
import { logger } from '../log/index.js';
import type { Runnable } from '../supervisor/runnable.js';
import { limitRanger } from './admission/limit-ranger.js';
import { resourceQuotaAdmission } from './admission/resource-quota.js';
import { serviceIpAllocator } from './admission/service-ips.js';
import { bootstrapObjects, ensureObjects } from './bootstrap.js';
import { createRequestHandler, createUpgradeHandler, type HandlerDeps } from './http/handler.js';
import { KubeletProxy, type KubeletClientTls } from './proxy/kubelet.js';
import { LoopbackClient } from '../client/loopback.js';
import type { AdmissionPlugin } from './registry/admission.js';
import { resourcePrefix } from './registry/keys.js';
import { Registry } from './registry/store.js';
import { Rest } from './rest.js';
import type { Authenticate, Authorize, Extensions, Impersonate } from './types.js';
import { WatchCache } from './watch-cache.js';

export interface ApiServerOptions {
  readonly backend: Backend;
  readonly catalogue?: Catalogue;
  readonly tls: { readonly key: string | Buffer; readonly cert: string | Buffer; readonly clientCa?: string | Buffer };
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly authenticate: Authenticate;
  readonly authorize: Authorize;
  /** kubectl --as; without it Impersonate-* headers are refused. */
  readonly impersonate?: Impersonate;
  readonly extensions?: Extensions;
  readonly admission?: readonly AdmissionPlugin[];
  readonly serviceCidr: string;
  readonly nodePortRange?: { readonly min: number; readonly max: number };
  /** Address written to the kubernetes Endpoints; defaults to the listen host (or 127.0.0.1). */
  readonly advertiseAddress?: string;
  /** Create the default namespaces and the kubernetes Service (default true). */
  readonly bootstrap?: boolean;
  /** More objects ensured at startup (e.g. the RBAC bootstrap policy); created when missing. */
  readonly bootstrapObjects?: () => readonly KubeObject[];
  /** How long events live after their last write (upstream --event-ttl, default 3600); 0 keeps them. */
  readonly eventTtlSeconds?: number;
  /**
   * Tried before the API pipeline, as upstream's supervisor shares the port (/cacerts,
   * /v1-k3s/...): answers and resolves true for its own paths, false to leave the request to the API.
   */
  readonly supervisor?: (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => Promise<boolean>;
  /** The client certificate for kubelets (pods/log, exec, attach, portforward); without it those answer 405. */
  readonly kubeletClient?: KubeletClientTls;
}

const log = logger('apiserver');

/** Without an impersonation policy, asking to be someone else is refused, never ignored. */
const refuseImpersonation: Impersonate = async (user, headers) => {
  if (!Object.keys(headers).some((k) => k.toLowerCase().startsWith('impersonate-'))) return { kind: 'none' };
  return { kind: 'forbidden', status: { message: `users "${String(headers['impersonate-user'] ?? '')}" is forbidden: User "${user.username}" cannot impersonate resource "users" in API group "" at the cluster scope`, details: { kind: 'users' } } };
};

export class ApiServer implements Runnable {
  readonly name = 'apiserver';
  readonly catalogue: Catalogue;
  readonly cache: WatchCache;
  readonly registry: Registry;
  readonly rest: Rest;
  readonly #options: ApiServerOptions;
  #stopped: Promise<void> = Promise.resolve();
  #port = 0;
  #ready = false;

  constructor(options: ApiServerOptions) {
    this.#options = options;
    this.catalogue = options.catalogue ?? new Catalogue();
    const prefixes = new Set(this.catalogue.all().filter((r) => r.storageResource).map((r) => resourcePrefix(r)));
    this.cache = new WatchCache(options.backend, prefixes);
    const extensions = options.extensions ?? {};
    const admission: AdmissionPlugin[] = [
      serviceIpAllocator({ serviceCidr: options.serviceCidr, nodePortRange: options.nodePortRange ?? { min: 30000, max: 32767 }, cache: this.cache }),
      limitRanger({ cache: this.cache }),
      ...(options.admission ?? []),
      // Last, as upstream: a quota is charged only for what every other plugin let through.
      resourceQuotaAdmission({ cache: this.cache, registry: () => this.registry, quotaInfo: () => this.catalogue.lookup('', 'v1', 'resourcequotas')! }),
    ];
    this.registry = new Registry({ backend: options.backend, cache: this.cache, extensions, admission, ...(options.eventTtlSeconds !== undefined ? { eventTtlSeconds: options.eventTtlSeconds } : {}) });
    this.rest = new Rest({ registry: this.registry, catalogue: this.catalogue, extensions, authorize: options.authorize, authenticate: options.authenticate });
  }

  /** True once listening with the default objects in place, until stopping. */
  get ready(): boolean {
    return this.#ready;
  }

  /** The port actually listened on (after start). */
  get port(): number {
    return this.#port;
  }

  /** An ApiClient running this server's pipeline in-process, as system:apiserver. */
  loopback(): ApiClient {
    return new LoopbackClient(this.rest, this.cache);
  }

  async start(signal: AbortSignal): Promise<void> {
    const t0 = performance.now();
    await this.cache.start();
    const o = this.#options;
    const podsInfo = this.catalogue.lookup('', 'v1', 'pods');
    const nodesInfo = this.catalogue.lookup('', 'v1', 'nodes');
    const kubelet =
      o.kubeletClient && podsInfo && nodesInfo
        ? new KubeletProxy({
            tls: o.kubeletClient,
            getPod: (namespace, name) => this.registry.get(podsInfo, namespace, name),
            getNode: async (name) => (await this.registry.find(nodesInfo, '', name))?.object,
          })
        : undefined;
    const deps: HandlerDeps = {
      catalogue: this.catalogue,
      rest: this.rest,
      cache: this.cache,
      extensions: o.extensions ?? {},
      authenticate: o.authenticate,
      authorize: o.authorize,
      impersonate: o.impersonate ?? refuseImpersonation,
      serverAddress: () => `${o.host === '0.0.0.0' || o.host === '' ? '127.0.0.1' : o.host}:${this.#port}`,
      ready: () => [
        { name: 'etcd', ok: this.cache.failure === undefined },
        { name: 'informer-sync', ok: this.#ready },
      ],
      ...(kubelet ? { kubelet } : {}),
    };
    const handler = createRequestHandler(deps);
    const server = createSecureServer({
      key: o.tls.key,
      cert: o.tls.cert,
      ...(o.tls.clientCa ? { ca: o.tls.clientCa } : {}),
      requestCert: true,
      rejectUnauthorized: false,
      allowHTTP1: true,
      // kubectl multiplexes discovery and watches on one connection.
      settings: { maxConcurrentStreams: 1000 },
    });
    const supervisor = o.supervisor;
    server.on(
      'request',
      supervisor
        ? (req: Http2ServerRequest, res: Http2ServerResponse) =>
            void supervisor(req, res).then(
              (served) => served || handler(req, res),
              (err: unknown) => (log.error({ err, url: req.url }, 'supervisor request failed'), res.destroy()),
            )
        : handler,
    );
    // HTTP/1.1 upgrades: exec, attach and port-forward (WebSocket or SPDY).
    server.on('upgrade', createUpgradeHandler(deps));
    // Long-lived watches keep connections open: remember them so shutdown can end them.
    const sockets = new Set<Socket>();
    server.on('secureConnection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('sessionError', (err) => log.debug({ err: err.message }, 'http2 session error'));
    server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host || '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    if (o.bootstrap !== false) {
      await bootstrapObjects(this.registry, this.catalogue, {
        serviceCidr: o.serviceCidr,
        advertiseAddress: o.advertiseAddress ?? (o.host === '0.0.0.0' || o.host === '::' || o.host === '' ? '127.0.0.1' : o.host),
        port: this.#port,
      });
      if (o.bootstrapObjects) await ensureObjects(this.registry, this.catalogue, o.bootstrapObjects());
    }
    this.#ready = true;
    log.info({ address: `${o.host}:${this.#port}`, ms: Math.round(performance.now() - t0) }, 'API server listening');
    this.#stopped = new Promise<void>((resolve) => {
      const stop = (): void => {
        this.#ready = false;
        this.cache.stop();
        server.close(() => resolve());
        // Give in-flight requests a moment, then end what is left (watches never finish by themselves).
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 200).unref();
        setTimeout(() => resolve(), 2000).unref();
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  }

  stopped(): Promise<void> {
    return this.#stopped;
  }
}
