/**
 * Cluster DNS as one Runnable inside the k3s process (upstream runs CoreDNS pods; there is no
 * image here). Informers on Services and EndpointSlices feed the cluster zone; the kube-system
 * ConfigMaps `coredns` (NodeHosts) and `coredns-custom` (keys ending in `.hosts`) feed the custom
 * entries; everything else is forwarded to the host's resolvers. The listener binds the node's
 * address (port 53; another free port if 53 is taken) and the `kube-dns` Service at the cluster
 * DNS IP points there through an EndpointSlice this component writes.
 */
import type { KubeObject } from '../api/types.js';
import { Informer, WorkQueue, isAlreadyExists, isNotFound, type ApiClient } from '../client/index.js';
import { logger, type Logger } from '../log/index.js';
import type { Runnable } from '../supervisor/runnable.js';
import { HostsTable, parseHosts, type HostsEntry } from './hosts.js';
import { endpointContent, ENDPOINTS, KUBE_DNS, kubeDnsEndpoints, kubeDnsService, kubeDnsSlice, KUBE_SYSTEM, serviceDrift, SERVICES, SLICE_NAME, SLICES } from './kube-dns.js';
import { DnsListener, type BoundAddress, type ListenAddress } from './listener.js';
import { COREDNS_CONFIGMAP, CUSTOM_CONFIGMAP, mergeNodeHosts, NODE_HOSTS_KEY, nodeAddresses } from './node-hosts.js';
import { ClusterZone, type EndpointSlice, type Service } from './records.js';
import { Resolver } from './resolver.js';
import { Forwarder } from './upstream.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespace: KUBE_SYSTEM } as const;
const RESOLV_RELOAD_MS = 15_000;

export interface ClusterDnsOptions {
  /** Called at start (the loopback client exists only once the API server runs). */
  readonly client: ApiClient | (() => ApiClient);
  readonly clusterDomain: string;
  /** The kube-dns Service's cluster IPs (--cluster-dns). */
  readonly clusterIPs: readonly string[];
  /** Where to listen: the node's address, port 53. */
  readonly listen: ListenAddress;
  /** If `listen.port` is taken, listen on a free port instead (the EndpointSlice says which). */
  readonly fallbackToFreePort?: boolean;
  /** The host's resolvers; undefined forwards nowhere (SERVFAIL for outside names). */
  readonly resolvConf: string | undefined;
  readonly nodeName: string;
  /** Keep the NodeHosts key of the coredns ConfigMap current (servers do; default true). */
  readonly manageNodeHosts?: boolean;
}

export class ClusterDns implements Runnable {
  readonly name = 'dns';
  private readonly log: Logger = logger('dns');
  private zone: ClusterZone;
  private zoneDirty = true;
  private hosts = new HostsTable();
  private hostsDirty = true;
  private listener: DnsListener | undefined;
  private boundAddress: BoundAddress | undefined;
  private readonly forwarder: Forwarder;
  private stoppedPromise: Promise<void> = Promise.resolve();
  private services!: Informer<Service>;
  private slices!: Informer<EndpointSlice>;
  private configMaps!: Informer;
  private nodes: Informer | undefined;
  private reportedCustom = '';

  constructor(private readonly options: ClusterDnsOptions) {
    this.zone = new ClusterZone(options.clusterDomain);
    this.forwarder = new Forwarder(options.resolvConf, { exclude: [options.listen.address] });
  }

  /** Where queries are answered (valid after start). */
  get bound(): BoundAddress | undefined {
    return this.boundAddress;
  }

  get counts(): DnsListener['counts'] | undefined {
    return this.listener?.counts;
  }

  /** Tests point forwarding at their own upstream. */
  get upstream(): Forwarder {
    return this.forwarder;
  }

  async start(signal: AbortSignal): Promise<void> {
    const client = typeof this.options.client === 'function' ? this.options.client() : this.options.client;
    const onError = (err: unknown): void => this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'informer error (retrying)');
    this.services = new Informer<Service>(client, { group: '', version: 'v1', resource: 'services' }, { onError });
    this.slices = new Informer<EndpointSlice>(client, { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' }, { onError });
    this.configMaps = new Informer(client, CONFIGMAPS, { onError });
    const queue = new WorkQueue({ baseMs: 200, maxMs: 30_000 });
    const zoneChanged = (object: KubeObject): void => {
      this.zoneDirty = true;
      if (object.metadata?.namespace === KUBE_SYSTEM && (object.metadata.name === KUBE_DNS || object.metadata.name === SLICE_NAME)) queue.add(KUBE_DNS);
    };
    const handlers = { onAdd: zoneChanged, onUpdate: zoneChanged, onDelete: zoneChanged };
    this.services.addHandlers(handlers);
    this.slices.addHandlers(handlers);
    const hostsChanged = (): void => {
      this.hostsDirty = true;
      queue.add(NODE_HOSTS_KEY);
    };
    this.configMaps.addHandlers({ onAdd: hostsChanged, onUpdate: hostsChanged, onDelete: hostsChanged });
    const informers: Informer<KubeObject>[] = [this.services, this.slices, this.configMaps];
    if (this.options.manageNodeHosts !== false) {
      this.nodes = new Informer(client, { group: '', version: 'v1', resource: 'nodes' }, { onError });
      this.nodes.addHandlers({ onAdd: () => queue.add(NODE_HOSTS_KEY), onUpdate: () => queue.add(NODE_HOSTS_KEY), onDelete: () => queue.add(NODE_HOSTS_KEY) });
      informers.push(this.nodes);
    }
    for (const informer of informers) void informer.start(signal);
    await Promise.all(informers.map((i) => i.waitForSync()));

    const resolver = new Resolver({ zone: () => this.currentZone(), hosts: () => this.currentHosts(), forwarder: this.forwarder });
    this.listener = new DnsListener(resolver, this.log);
    this.boundAddress = await this.bind(this.listener);
    const reload = setInterval(() => this.forwarder.reload(), RESOLV_RELOAD_MS);
    reload.unref();

    queue.add(KUBE_DNS);
    queue.add(NODE_HOSTS_KEY);
    const worker = queue.run(1, (key) => (key === KUBE_DNS ? this.ensureKubeDns(client) : this.ensureNodeHosts(client)), signal, (key, err) => {
      this.log.warn({ key, err: err instanceof Error ? err.message : String(err) }, 'keeping cluster DNS objects current failed; will retry');
    });
    this.log.info({ listen: this.boundAddress, clusterDNS: this.options.clusterIPs, domain: this.zone.domain, upstreams: this.forwarder.upstreams }, 'cluster DNS serving');
    this.stoppedPromise = (async () => {
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      clearInterval(reload);
      await this.listener?.close();
      await Promise.allSettled([worker, ...informers.map((i) => i.stopped())]);
    })();
  }

  stopped(): Promise<void> {
    return this.stoppedPromise;
  }

  private async bind(listener: DnsListener): Promise<BoundAddress> {
    try {
      return await listener.listen(this.options.listen);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const where = `${this.options.listen.address}:${this.options.listen.port}`;
      if (!this.options.fallbackToFreePort || (code !== 'EADDRINUSE' && code !== 'EACCES')) {
        throw new Error(`cluster DNS cannot listen on ${where} (${code ?? String(err)}): stop what holds the port, or run with --disable coredns`, { cause: err });
      }
      const bound = await listener.listen({ address: this.options.listen.address, port: 0 });
      // Pods still use port 53 on the cluster DNS IP: the Service maps it to this port.
      this.log.warn({ wanted: where, code, udpPort: bound.udpPort, tcpPort: bound.tcpPort }, 'DNS port taken on the node address; listening on a free port instead');
      return bound;
    }
  }

  private currentZone(): ClusterZone {
    if (this.zoneDirty) {
      this.zoneDirty = false;
      const zone = new ClusterZone(this.options.clusterDomain);
      zone.rebuild(this.services.list(), this.slices.list());
      this.zone = zone;
    }
    return this.zone;
  }

  private currentHosts(): HostsTable {
    if (this.hostsDirty) {
      this.hostsDirty = false;
      this.hosts = new HostsTable(this.customEntries());
    }
    return this.hosts;
  }

  /** NodeHosts, then every `*.hosts` key of coredns-custom; other keys are reported once, not silently ignored. */
  private customEntries(): HostsEntry[] {
    const entries: HostsEntry[] = [];
    const ignored: string[] = [];
    const problems: string[] = [];
    const read = (source: string, text: string): void => {
      const parsed = parseHosts(text);
      entries.push(...parsed.entries);
      for (const p of parsed.problems) problems.push(`${source} line ${p.line}: ${p.reason}`);
    };
    const coredns = this.configMaps.get(`${KUBE_SYSTEM}/${COREDNS_CONFIGMAP}`) as (KubeObject & { data?: Record<string, string> }) | undefined;
    if (coredns?.data?.[NODE_HOSTS_KEY]) read(`${COREDNS_CONFIGMAP}/${NODE_HOSTS_KEY}`, coredns.data[NODE_HOSTS_KEY]);
    const custom = this.configMaps.get(`${KUBE_SYSTEM}/${CUSTOM_CONFIGMAP}`) as (KubeObject & { data?: Record<string, string> }) | undefined;
    for (const [key, text] of Object.entries(custom?.data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (key.endsWith('.hosts')) read(`${CUSTOM_CONFIGMAP}/${key}`, text);
      else ignored.push(key);
    }
    const report = JSON.stringify([ignored, problems]);
    if (report !== this.reportedCustom) {
      this.reportedCustom = report;
      if (ignored.length > 0) this.log.warn({ configMap: `${KUBE_SYSTEM}/${CUSTOM_CONFIGMAP}`, ignored }, 'custom DNS keys ignored: only keys ending in .hosts (hosts-file lines "IP name...") are read; CoreDNS plugin snippets do not apply to the built-in DNS');
      if (problems.length > 0) this.log.warn({ problems }, 'custom DNS entries skipped');
    }
    return entries;
  }

  private async ensureKubeDns(client: ApiClient): Promise<void> {
    const bound = this.boundAddress;
    if (!bound) return;
    const live = this.services.get(`${KUBE_SYSTEM}/${KUBE_DNS}`);
    const drift = live ? serviceDrift(live, this.options.clusterIPs) : 'create';
    if (drift === 'recreate') {
      this.log.info({ had: (live?.['spec'] as { clusterIP?: string } | undefined)?.clusterIP, want: this.options.clusterIPs[0] }, 'recreating the kube-dns Service at the cluster DNS IP');
      await client.delete(SERVICES, KUBE_DNS).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
    if (drift === 'create' || drift === 'recreate') {
      try {
        await client.create(SERVICES, kubeDnsService(this.options.clusterIPs), { fieldManager: 'k3s-dns' });
      } catch (err) {
        if (!isAlreadyExists(err)) throw new Error(`creating the kube-dns Service at ${this.options.clusterIPs.join(',')} failed (if another Service holds that IP, delete it or pick another --cluster-dns)`, { cause: err });
      }
    } else if (drift === 'update' && live) {
      const desired = kubeDnsService(this.options.clusterIPs);
      await client.update(SERVICES, { ...live, spec: { ...(live.spec ?? {}), selector: undefined, ports: (desired['spec'] as { ports: unknown }).ports } } as KubeObject, { fieldManager: 'k3s-dns' });
    }
    const endpoint = { bound, nodeName: this.options.nodeName };
    await this.ensureObject(client, ENDPOINTS, 'Endpoints', kubeDnsEndpoints(endpoint));
    await this.ensureObject(client, SLICES, 'EndpointSlice', kubeDnsSlice(endpoint));
  }

  private async ensureObject(client: ApiClient, ref: typeof ENDPOINTS | typeof SLICES, kind: 'Endpoints' | 'EndpointSlice', desired: KubeObject): Promise<void> {
    const name = desired.metadata?.name ?? '';
    let live: KubeObject | undefined;
    try {
      live = await client.get(ref, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!live) {
      await client.create(ref, desired, { fieldManager: 'k3s-dns' });
      return;
    }
    if (endpointContent(kind, live) === endpointContent(kind, desired)) return;
    await client.update(ref, { ...desired, metadata: { ...live.metadata, labels: { ...(live.metadata?.labels ?? {}), ...(desired.metadata?.labels ?? {}) } } }, { fieldManager: 'k3s-dns' });
  }

  private async ensureNodeHosts(client: ApiClient): Promise<void> {
    if (!this.nodes) return;
    const nodes = nodeAddresses(this.nodes.list());
    const live = this.configMaps.get(`${KUBE_SYSTEM}/${COREDNS_CONFIGMAP}`) as (KubeObject & { data?: Record<string, string> }) | undefined;
    if (!live) {
      if (nodes.size === 0) return;
      try {
        await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: COREDNS_CONFIGMAP, namespace: KUBE_SYSTEM }, data: { [NODE_HOSTS_KEY]: mergeNodeHosts('', nodes) } }, { fieldManager: 'k3s-dns' });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      return;
    }
    const current = live.data?.[NODE_HOSTS_KEY] ?? '';
    const next = mergeNodeHosts(current, nodes);
    if (next === current) return;
    await client.patch(CONFIGMAPS, COREDNS_CONFIGMAP, 'merge', { metadata: { resourceVersion: live.metadata?.resourceVersion }, data: { [NODE_HOSTS_KEY]: next } }, { fieldManager: 'k3s-dns' });
  }
}
