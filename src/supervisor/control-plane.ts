/**
 * The control plane as one Runnable, in upstream's start order: datastore (the Backend from
 * --datastore-endpoint), PKI and tokens, the admin kubeconfig, then the API server with its
 * default objects. Stops in reverse: API server, then datastore.
 */
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ApiServer, rbacLookup, standardExtensions, type Authenticate, type Authorize, type Extensions } from '../apiserver/index.js';
import {
  bootstrapPolicy,
  checkBindingEscalation,
  checkRoleEscalation,
  createAuthenticator,
  createAuthorizer,
  createNodeAuthorizer,
  ensurePki,
  ensureTokens,
  impersonate,
  unionAuthorizers,
  writeKubeconfig,
  type RbacLookup,
} from '../auth/index.js';
import { supervisorEndpoints } from '../join/index.js';
import { metricsApi, remoteUsage, type KubeletTls } from '../metrics/index.js';
import type { NodeStatsCollector } from '../agent/stats/collector.js';
import { Catalogue } from '../api/catalogue.js';
import type { Config } from '../config/index.js';
import { defaultNodeIP } from '../config/net.js';
import { openBackend, parseEndpoint } from '../datastore/index.js';
import { logger } from '../log/index.js';
import { rbacEscalation } from '../apiserver/admission/rbac-escalation.js';
import { etcdFaceFor } from '../etcd/index.js';
import { kubeletServingTls, kubeletClientTls } from './kubelet-tls.js';
import type { Pki } from '../auth/pki.js';
import type { Runnable } from './runnable.js';

const log = logger('server');

/**
 * The address the kubernetes Endpoints point at, so pods reach this server: --node-ip, else a
 * specific --bind-address, else the host's first non-loopback IPv4 (upstream's default node IP;
 * inside rootless namespaces that is slirp4netns's tap address), else loopback.
 */
function advertiseAddress(config: Config): string {
  const nodeIp = config.agent.nodeIPs.find((ip) => isIP(ip) === 4);
  if (nodeIp) return nodeIp;
  const bind = config.listener.bindAddress;
  if (isIP(bind) === 4 && bind !== '0.0.0.0' && !bind.startsWith('127.')) return bind;
  return defaultNodeIP();
}

export class ControlPlane implements Runnable {
  readonly name = 'control-plane';
  #apiserver: ApiServer | undefined;
  #pki: Pki | undefined;
  #stopped: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: Config,
    private readonly startedAt: number,
    /** The usage collectors of this process's node (metrics.k8s.io); none with --disable-agent. */
    private readonly collectors: () => readonly NodeStatsCollector[] = () => [],
  ) {}

  get apiserver(): ApiServer | undefined {
    return this.#apiserver;
  }

  /** The serving certificate (and client CA) for this server's own kubelet API, for these names. */
  kubeletTls(names: readonly string[]): Promise<{ certPem: string; keyPem: string; clientCaPem: string }> {
    if (!this.#pki) throw new Error('internal: the kubelet API asked for a certificate before the control plane started');
    return kubeletServingTls(this.#pki, this.config.nodeName, names);
  }

  async start(signal: AbortSignal): Promise<void> {
    const { config } = this;
    const endpoint = parseEndpoint(config.datastore.endpoint, {
      caFile: config.datastore.caFile,
      certFile: config.datastore.certFile,
      keyFile: config.datastore.keyFile,
    });
    // The datastore and the PKI do not depend on each other: prepare them at the same time.
    const [backend, pki] = await Promise.all([openBackend(endpoint, { dataDir: config.dataDir }), ensurePki(config)]);
    const tokens = await ensureTokens(config, pki.serverCaPem);
    this.#pki = pki;
    // The etcd v3 face on the same store: kine.sock, and --etcd-listen-address when set.
    const face = etcdFaceFor(config, backend);
    const faceSignal = new AbortController();
    await face.start(faceSignal.signal);

    const holder: { apiserver?: ApiServer; kubeletClient?: KubeletTls } = {};
    const authn = createAuthenticator(pki, {
      clusterDomain: config.cluster.clusterDomain,
      lookup: async (ref) => {
        const apiserver = holder.apiserver;
        if (!apiserver) return undefined;
        const resource = { ServiceAccount: 'serviceaccounts', Pod: 'pods', Secret: 'secrets', Node: 'nodes' }[ref.kind];
        const info = apiserver.catalogue.lookup('', 'v1', resource);
        if (!info) return undefined;
        return (await apiserver.registry.find(info, ref.namespace ?? '', ref.name))?.object;
      },
    });
    const authenticate: Authenticate = async (request) => {
      const result = await authn.authenticate({ clientCertificate: request.peerCertificate?.raw, authorization: request.authorization });
      if (result.kind === 'authenticated') return result.user;
      if (result.kind === 'anonymous') return undefined;
      throw new Error(result.reason);
    };
    // RBAC over the API server's watch cache (bound once the server exists).
    const lookup: RbacLookup = {
      getClusterRole: (name) => holder.apiserver && (rbacLookup(holder.apiserver.cache).getClusterRole(name) as never),
      getRole: (namespace, name) => holder.apiserver && (rbacLookup(holder.apiserver.cache).getRole(namespace, name) as never),
      listClusterRoleBindings: () => (holder.apiserver ? (rbacLookup(holder.apiserver.cache).listClusterRoleBindings() as never[]) : []),
      listRoleBindings: (namespace) => (holder.apiserver ? (rbacLookup(holder.apiserver.cache).listRoleBindings(namespace) as never[]) : []),
    };
    const rbac = createAuthorizer(lookup);
    // --authorization-mode=Node,RBAC as upstream: kubelets reach only what their pods use.
    const nodeAuthorizer = createNodeAuthorizer({
      podsOnNode: (node) => (holder.apiserver?.cache.list('/registry/pods/') ?? []).map((e) => e.object).filter((pod) => (pod['spec'] as { nodeName?: string } | undefined)?.nodeName === node),
      persistentVolumeFor: (namespace, claim) => (holder.apiserver?.cache.get(`/registry/persistentvolumeclaims/${namespace}/${claim}`)?.object['spec'] as { volumeName?: string } | undefined)?.volumeName,
    });
    const authorizer = unionAuthorizers(nodeAuthorizer, rbac);
    const authorize: Authorize = async (attributes) => {
      const decision = await authorizer.authorize(attributes);
      return { allowed: decision.allowed, ...(decision.reason && !decision.allowed ? { reason: decision.reason } : {}) };
    };
    const catalogue = new Catalogue();
    const extensions: Extensions = {
      ...standardExtensions(catalogue),
      subjectRules: (user, namespace) => authorizer.rulesFor(user, namespace),
      virtualResources: metricsApi({
        collectors: () => {
          const local = this.collectors();
          const mine = new Set(local.map((c) => c.nodeName));
          const nodes = (holder.apiserver?.cache.list('/registry/minions/') ?? []).map((e) => e.object).filter((n) => !mine.has(n.metadata?.name ?? ''));
          return [...local, ...(holder.kubeletClient ? nodes.map((n) => remoteUsage(n, holder.kubeletClient!)) : [])];
        },
        labelsOf: async (kind, namespace, name) => {
          const apiserver = holder.apiserver;
          const info = apiserver?.catalogue.lookup('', 'v1', kind === 'node' ? 'nodes' : 'pods');
          if (!apiserver || !info) return undefined;
          const found = (await apiserver.registry.find(info, namespace, name))?.object;
          return found ? ((found.metadata?.labels as Record<string, string> | undefined) ?? {}) : undefined;
        },
      }),
      issueServiceAccountToken: async (claims) => {
        const issued = authn.serviceAccountTokens.issue({
          namespace: claims.namespace,
          serviceAccountName: claims.serviceAccount.name,
          serviceAccountUid: claims.serviceAccount.uid,
          audiences: [...claims.audiences],
          expirationSeconds: claims.expirationSeconds,
          ...(claims.boundObject ? { boundObject: claims.boundObject as never } : {}),
        });
        return { token: issued.token, expirationTimestamp: `${issued.expirationTimestamp.toISOString().slice(0, 19)}Z` };
      },
    };
    const tls = pki.tlsServerOptions();
    const apiserver = new ApiServer({
      backend,
      catalogue,
      tls: { key: tls.key, cert: tls.cert, clientCa: tls.ca },
      host: config.listener.bindAddress,
      port: config.listener.httpsPort,
      authenticate,
      authorize,
      impersonate: (user, headers) => impersonate(user, headers, rbac),
      // Nobody grants, through a Role or a binding, permissions they do not hold themselves.
      admission: [
        rbacEscalation({
          role: (user, role) => checkRoleEscalation(rbac, user, role),
          binding: (user, binding) => checkBindingEscalation(rbac, lookup, user, binding as never),
        }),
      ],
      bootstrapObjects: () => {
        const policy = bootstrapPolicy();
        return [...policy.clusterRoles, ...policy.clusterRoleBindings].map((o) => ({ ...o }) as never);
      },
      extensions,
      serviceCidr: config.cluster.serviceCidrs[0] ?? '10.43.0.0/16',
      advertiseAddress: advertiseAddress(config),
      nodePortRange: config.cluster.nodePortRange,
      kubeletClient: (holder.kubeletClient = await kubeletClientTls(pki)),
      supervisor: supervisorEndpoints({
        pki,
        password: tokens.password,
        cluster: config.cluster,
        client: () => holder.apiserver!.loopback(),
        ready: () => holder.apiserver?.ready === true,
      }),
    });
    holder.apiserver = apiserver;
    this.#apiserver = apiserver;
    const apiSignal = new AbortController();
    await apiserver.start(apiSignal.signal);
    await writeKubeconfig(config, pki);
    log.info({ ms: Math.round(performance.now() - this.startedAt), sinceProcessStartMs: Math.round(performance.now()), kubeconfig: config.kubeconfig.path }, 'k3s is up');

    this.#stopped = new Promise<void>((resolve) => {
      const stop = async (): Promise<void> => {
        apiSignal.abort(signal.reason);
        await apiserver.stopped();
        faceSignal.abort(signal.reason);
        await face.stopped();
        await backend.close().catch((err: unknown) => log.warn({ err }, 'closing the datastore failed'));
        resolve();
      };
      if (signal.aborted) void stop();
      else signal.addEventListener('abort', () => void stop(), { once: true });
    });
  }

  stopped(): Promise<void> {
    return this.#stopped;
  }
}
