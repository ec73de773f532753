/**
 * ServiceLB: type LoadBalancer Services get the addresses of the nodes that serve them as
 * status.loadBalancer.ingress (what `kubectl get svc` shows as EXTERNAL-IP), as upstream k3s's
 * servicelb does. Upstream runs a klipper-lb DaemonSet per Service and reports the nodes its
 * ready pods run on; here the service proxy on every node answers on the node's address itself
 * (it treats ingress IPs as upstream kube-proxy does), so the nodes that would run those pods are
 * computed directly:
 *  - Ready nodes; if any node carries svccontroller.k3s.cattle.io/enablelb, only those set to "true"
 *    (and, when the Service has the lbpool label, only nodes of that pool);
 *  - externalTrafficPolicy Local: only nodes with a ready endpoint of the Service;
 *  - ExternalIP addresses when any of those nodes has one, else InternalIP, per the Service's
 *    ipFamilies, sorted; rootless: 127.0.0.1 (the ports are forwarded from the host's loopback).
 * Services with spec.loadBalancerClass set belong to another implementation and are left alone
 * (as upstream's cloud-provider service controller). Two Services asking for the same port and
 * protocol: the older keeps it; the newer gets no ingress (EXTERNAL-IP stays <pending>, as
 * upstream's klipper-lb pods stay Pending on the host port) and a Warning event naming the holder,
 * and gets its address as soon as the port is free.
 */
import type { KubeObject } from '../api/types.js';
import { isIP } from 'node:net';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isNotFound } from '../client/types.js';
import { QueueController, type ControllerContext } from './controller.js';

const SERVICES = { group: '', version: 'v1', resource: 'services' } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } as const;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const ENABLE_LB_LABEL = 'svccontroller.k3s.cattle.io/enablelb';
export const LB_POOL_LABEL = 'svccontroller.k3s.cattle.io/lbpool';

interface Ingress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
}
export type LbService = KubeObject & {
  spec?: {
    type?: string;
    loadBalancerClass?: string;
    externalTrafficPolicy?: string;
    ipFamilies?: string[];
    ports?: { port: number; protocol?: string; name?: string }[];
  };
  status?: { loadBalancer?: { ingress?: Ingress[] } };
};
export type LbNode = KubeObject & {
  status?: { addresses?: { type: string; address: string }[]; conditions?: { type: string; status: string }[] };
};
export type LbSlice = KubeObject & {
  endpoints?: { nodeName?: string; conditions?: { ready?: boolean } }[];
};

/** What a Service should show, and why it shows nothing when it is blocked. */
export interface LbDecision {
  readonly ips: string[];
  /** Set when another Service holds one of its ports. */
  readonly conflict?: { port: number; protocol: string; holder: string };
}

/** A Service this controller serves: type LoadBalancer without a class of its own. */
export function isOurs(svc: LbService): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

function portKeys(svc: LbService): { key: string; port: number; protocol: string }[] {
  return (svc.spec?.ports ?? []).map((p) => {
    const protocol = (p.protocol ?? 'TCP').toUpperCase();
    return { key: `${protocol}/${p.port}`, port: p.port, protocol };
  });
}

/** Older first (creation time, then namespace/name): the older Service keeps a contested port. */
function byAge(a: LbService, b: LbService): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return ta - tb || objectKey(a).localeCompare(objectKey(b));
}

/** For every Service of ours that loses a port to an older one: the port and who holds it. */
export function portConflicts(services: readonly LbService[]): Map<string, NonNullable<LbDecision['conflict']>> {
  const holders = new Map<string, string>();
  const conflicts = new Map<string, NonNullable<LbDecision['conflict']>>();
  for (const svc of services.filter(isOurs).sort(byAge)) {
    const ports = portKeys(svc);
    const taken = ports.find((p) => holders.has(p.key));
    if (taken) {
      conflicts.set(objectKey(svc), { port: taken.port, protocol: taken.protocol, holder: holders.get(taken.key)! });
      continue;
    }
    for (const p of ports) holders.set(p.key, objectKey(svc));
  }
  return conflicts;
}

function isNodeReady(node: LbNode): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The nodes that would run the Service's load balancer (upstream: where its DaemonSet's pods go). */
export function eligibleNodes(svc: LbService, nodes: readonly LbNode[], slices: readonly LbSlice[]): LbNode[] {
  const labelled = nodes.some((n) => n.metadata?.labels?.[ENABLE_LB_LABEL] !== undefined);
  const pool = svc.metadata?.labels?.[LB_POOL_LABEL];
  let out = nodes.filter(isNodeReady);
  if (labelled) {
    out = out.filter((n) => n.metadata?.labels?.[ENABLE_LB_LABEL] === 'true');
    if (pool) out = out.filter((n) => n.metadata?.labels?.[LB_POOL_LABEL] === pool);
  }
  if (svc.spec?.externalTrafficPolicy === 'Local') {
    const withEndpoints = new Set<string>();
    for (const slice of slices) {
      for (const ep of slice.endpoints ?? []) if (ep.nodeName && ep.conditions?.ready !== false) withEndpoints.add(ep.nodeName);
    }
    out = out.filter((n) => withEndpoints.has(n.metadata?.name ?? ''));
  }
  return out;
}

/** The ingress IPs a Service of ours should show (empty while pending). */
export function desiredIngress(svc: LbService, nodes: readonly LbNode[], slices: readonly LbSlice[], conflict: LbDecision['conflict'], rootless: boolean): LbDecision {
  if (conflict) return { ips: [], conflict };
  const external = new Set<string>();
  const internal = new Set<string>();
  for (const node of eligibleNodes(svc, nodes, slices)) {
    for (const a of node.status?.addresses ?? []) {
      if (a.type === 'ExternalIP') external.add(a.address);
      else if (a.type === 'InternalIP') internal.add(a.address);
    }
  }
  const candidates = [...(external.size > 0 ? external : internal)];
  const families = svc.spec?.ipFamilies?.length ? svc.spec.ipFamilies : ['IPv4'];
  const ips: string[] = [];
  for (const family of families) {
    const version = family === 'IPv6' ? 6 : 4;
    ips.push(...candidates.filter((ip) => isIP(ip) === version).sort());
  }
  if (ips.length > 0 && rootless) return { ips: ['127.0.0.1'] };
  return { ips };
}

function currentIps(svc: LbService): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '');
}

export interface ServiceLbOptions {
  /** Rootless: the Services are reachable on the host's 127.0.0.1 through rootlesskit. */
  readonly rootless: boolean;
}

export class ServiceLbController extends QueueController {
  readonly name = 'servicelb';
  private services!: Informer<LbService>;
  private nodes!: Informer<LbNode>;
  private slices!: Informer<LbSlice>;
  /** The conflict each Service was last told about, so the event is not repeated on every sync. */
  /** Services this controller gave addresses to (so it clears only its own). */
  private readonly served = new Set<string>();
  private readonly announced = new Map<string, string>();

  constructor(private readonly options: ServiceLbOptions) {
    super();
  }

  protected register(ctx: ControllerContext): void {
    this.services = ctx.informers.for<LbService>(SERVICES);
    this.nodes = ctx.informers.for<LbNode>(NODES);
    this.slices = ctx.informers.for<LbSlice>(SLICES);
    this.slices.addIndex('service', (s) => {
      const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      return name ? [`${s.metadata?.namespace}/${name}`] : [];
    });
    // A Service's ports decide its neighbours' status too, and nodes decide everyone's: the set
    // of LoadBalancer Services is small, so any such change enqueues all of them.
    const all = (): void => {
      for (const svc of this.services.list()) if (svc.spec?.type === 'LoadBalancer' || currentIps(svc).length > 0) this.queue.add(objectKey(svc));
    };
    const service = (svc: LbService, old?: LbService): void => {
      this.queue.add(objectKey(svc));
      if (svc.spec?.type === 'LoadBalancer' || old?.spec?.type === 'LoadBalancer') all();
    };
    this.services.addHandlers({ onAdd: (s) => service(s), onUpdate: (s, old) => service(s, old), onDelete: (s) => service(s) });
    const node = (n: LbNode, old?: LbNode): void => {
      if (!old || JSON.stringify(nodeView(old)) !== JSON.stringify(nodeView(n))) all();
    };
    this.nodes.addHandlers({ onAdd: (n) => node(n), onUpdate: (n, old) => node(n, old), onDelete: (n) => node(n) });
    const slice = (s: LbSlice): void => {
      const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (name) this.queue.add(`${s.metadata?.namespace}/${name}`);
    };
    this.slices.addHandlers({ onAdd: slice, onUpdate: (s) => slice(s), onDelete: slice });
  }

  protected async reconcile(key: string): Promise<void> {
    const svc = this.services.get(key);
    if (!svc) {
      this.announced.delete(key);
      this.served.delete(key);
      return;
    }
    if (svc.spec?.loadBalancerClass) return;
    if (svc.spec?.type !== 'LoadBalancer') {
      // The Service stopped being a load balancer: the addresses we gave it are no longer true.
      // Status someone else wrote on a Service we never served is theirs (as upstream, which
      // cleans up only Services carrying its finalizer).
      if (this.served.delete(key) && currentIps(svc).length > 0) await this.patchIngress(svc, []);
      this.announced.delete(key);
      return;
    }
    this.served.add(key);
    const conflict = portConflicts(this.services.list()).get(key);
    const decision = desiredIngress(svc, this.nodes.list(), this.slices.byIndex('service', key), conflict, this.options.rootless);
    const before = currentIps(svc);
    if (decision.conflict) {
      const c = decision.conflict;
      const message = `port ${c.port}/${c.protocol} is already used by LoadBalancer service ${c.holder} on every node; this service stays pending until that port is free`;
      if (this.announced.get(key) !== message) {
        this.announced.set(key, message);
        void this.ctx.events.event(svc, 'Warning', 'LoadBalancerPortInUse', message);
      }
    } else {
      this.announced.delete(key);
    }
    if (JSON.stringify(before) === JSON.stringify(decision.ips)) return;
    await this.patchIngress(svc, decision.ips);
    if (decision.ips.length === 0) {
      if (!decision.conflict) void this.ctx.events.event(svc, 'Warning', 'UnAvailableLoadBalancer', 'There are no available nodes for LoadBalancer');
    } else {
      void this.ctx.events.event(svc, 'Normal', 'UpdatedLoadBalancer', `Updated LoadBalancer with new IPs: [${before.join(' ')}] -> [${decision.ips.join(' ')}]`);
    }
  }

  private async patchIngress(svc: LbService, ips: string[]): Promise<void> {
    const { namespace, name } = splitKey(objectKey(svc));
    const loadBalancer = ips.length > 0 ? { ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })) } : { ingress: null };
    try {
      await this.ctx.client.patch({ ...SERVICES, namespace: namespace ?? 'default' }, name, 'merge', { status: { loadBalancer } }, { subresource: 'status' });
      this.ctx.log.info({ service: objectKey(svc), ingress: ips }, 'load balancer status updated');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** The parts of a Node that change which addresses Services get (not its heartbeats). */
function nodeView(node: LbNode): unknown {
  return [node.metadata?.labels?.[ENABLE_LB_LABEL], node.metadata?.labels?.[LB_POOL_LABEL], node.status?.addresses, isNodeReady(node)];
}
