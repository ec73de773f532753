/**
 * What the proxy programs, independent of how: every Service port with its virtual addresses
 * (cluster IPs, node port, load-balancer ingress and external IPs) and the endpoints that may
 * receive its traffic, built from Services and their EndpointSlices (discovery.k8s.io/v1) as
 * upstream kube-proxy reads them. Pure: the rule generator and the unit tests start from here.
 */
import type { KubeObject } from '../api/types.js';

export type Protocol = 'TCP' | 'UDP';

export interface ServicePortSpec {
  name?: string;
  port: number;
  protocol?: string;
  nodePort?: number;
  targetPort?: number | string;
}

export type Service = KubeObject & {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    ports?: ServicePortSpec[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    loadBalancerClass?: string;
    loadBalancerSourceRanges?: string[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
};

export type EndpointSlice = KubeObject & {
  addressType?: string;
  endpoints?: {
    addresses?: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
  }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
};

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
  /** On this node: the only ones used for traffic policy Local. */
  readonly local: boolean;
}

/** One port of one Service, with everything needed to program it. */
export interface ServicePort {
  /** "namespace/name:portName" (portName may be empty), as upstream names a ServicePortName. */
  readonly id: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly clusterIPs: readonly string[];
  readonly nodePort: number | undefined;
  /** LoadBalancer status IPs and spec.externalIPs: DNATed like upstream does. */
  readonly externalAddresses: readonly string[];
  /** The LoadBalancer ingress IPs among externalAddresses: the ones loadBalancerSourceRanges guards. */
  readonly ingressAddresses: readonly string[];
  /** spec.loadBalancerSourceRanges (IPv4 CIDRs); empty means any source. */
  readonly sourceRanges: readonly string[];
  /** ClientIP affinity timeout in seconds, undefined without affinity. */
  readonly affinitySeconds: number | undefined;
  readonly externalPolicyLocal: boolean;
  readonly internalPolicyLocal: boolean;
  /** Endpoints in a stable order (by ip, port). */
  readonly endpoints: readonly Endpoint[];
}

const DEFAULT_AFFINITY_SECONDS = 10800;

function isIPv4(address: string | undefined): address is string {
  return !!address && /^\d{1,3}(\.\d{1,3}){3}$/.test(address);
}

/**
 * The Service ports to program. Headless and ExternalName Services have no virtual IP and are
 * skipped; SCTP is not proxied (upstream needs a kernel module for it). Only IPv4 is handled:
 * the rules are written with iptables, not ip6tables.
 */
export function servicePorts(services: readonly Service[], slices: readonly EndpointSlice[], nodeName: string): ServicePort[] {
  const byService = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || (slice.addressType ?? 'IPv4') !== 'IPv4') continue;
    const key = `${slice.metadata?.namespace ?? ''}/${svc}`;
    const list = byService.get(key) ?? [];
    list.push(slice);
    byService.set(key, list);
  }
  const out: ServicePort[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    const type = spec.type ?? 'ClusterIP';
    if (type === 'ExternalName') continue;
    const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]).filter(isIPv4);
    if (clusterIPs.length === 0) continue;
    const ns = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const svcSlices = byService.get(`${ns}/${name}`) ?? [];
    const ingress = type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter(isIPv4) : [];
    const externalAddresses = [...new Set([...ingress, ...(spec.externalIPs ?? []).filter(isIPv4)])].sort();
    const sourceRanges = type === 'LoadBalancer' ? (spec.loadBalancerSourceRanges ?? []).map((r) => r.trim()).filter((r) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(r)).sort() : [];
    const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
    for (const p of spec.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP').toUpperCase();
      if (protocol !== 'TCP' && protocol !== 'UDP') continue;
      out.push({
        id: `${ns}/${name}:${p.name ?? ''}`,
        protocol,
        port: p.port,
        clusterIPs,
        nodePort: (type === 'NodePort' || type === 'LoadBalancer') && p.nodePort ? p.nodePort : undefined,
        externalAddresses,
        ingressAddresses: [...new Set(ingress)].sort(),
        sourceRanges,
        affinitySeconds: affinity,
        externalPolicyLocal: spec.externalTrafficPolicy === 'Local' && (type === 'NodePort' || type === 'LoadBalancer'),
        internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
        endpoints: endpointsFor(svcSlices, p.name ?? '', protocol, nodeName),
      });
    }
  }
  return out.sort((a, b) => (a.id === b.id ? a.protocol.localeCompare(b.protocol) : a.id < b.id ? -1 : 1));
}

/**
 * The endpoints of one port: ready ones; if none is ready, serving-and-terminating ones (so a
 * rolling update does not drop traffic while the old pods still serve), as upstream does.
 */
function endpointsFor(slices: readonly EndpointSlice[], portName: string, protocol: string, nodeName: string): Endpoint[] {
  const ready = new Map<string, Endpoint>();
  const terminating = new Map<string, Endpoint>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP').toUpperCase() === protocol);
    if (!port?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      const c = ep.conditions ?? {};
      // An unset condition means ready (the API's documented meaning of nil).
      const isReady = c.ready !== false;
      const servingTerminating = (c.serving ?? c.ready) !== false && c.terminating === true;
      for (const ip of ep.addresses ?? []) {
        if (!isIPv4(ip)) continue;
        const e: Endpoint = { ip, port: port.port, local: ep.nodeName === nodeName };
        const key = `${ip}:${port.port}`;
        if (isReady) ready.set(key, e);
        else if (servingTerminating) terminating.set(key, e);
      }
    }
  }
  const chosen = ready.size > 0 ? ready : terminating;
  return [...chosen.values()].sort((a, b) => compareIp(a.ip, b.ip) || a.port - b.port);
}

function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
