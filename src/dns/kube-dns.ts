/**
 * The objects that make cluster DNS reachable at the cluster DNS IP: the `kube-dns` Service in
 * kube-system (upstream's name, so manifests and tools that look for it find it) with that
 * clusterIP, and, since the server runs inside the k3s process rather than in pods, no selector:
 * its Endpoints and EndpointSlice are written here and point at the address the in-process
 * listener bound. The service proxy then forwards the cluster DNS IP there like any Service.
 */
import type { KubeObject } from '../api/types.js';
import type { BoundAddress } from './listener.js';

export const KUBE_DNS = 'kube-dns';
export const KUBE_SYSTEM = 'kube-system';
/** The EndpointSlice's name and managed-by value: ours, not the endpointslice controller's. */
export const SLICE_NAME = 'kube-dns-k3s';
export const MANAGED_BY = 'k3s-dns';

export const SERVICES = { group: '', version: 'v1', resource: 'services', namespace: KUBE_SYSTEM } as const;
export const ENDPOINTS = { group: '', version: 'v1', resource: 'endpoints', namespace: KUBE_SYSTEM } as const;
export const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: KUBE_SYSTEM } as const;

const LABELS = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS', 'app.kubernetes.io/managed-by': MANAGED_BY };

export interface DnsEndpoint {
  readonly bound: BoundAddress;
  readonly nodeName: string;
}

function ports(): { name: string; port: number; protocol: string; targetPort: number }[] {
  return [
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
  ];
}

export function kubeDnsService(clusterIPs: readonly string[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: KUBE_DNS, namespace: KUBE_SYSTEM, labels: { ...LABELS }, annotations: { 'prometheus.io/scrape': 'false' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: clusterIPs[0],
      clusterIPs: [...clusterIPs],
      sessionAffinity: 'None',
      ports: ports(),
    },
  };
}

/** What in the live Service must change: 'recreate' (clusterIP is immutable), 'update', or nothing. */
export function serviceDrift(live: KubeObject, clusterIPs: readonly string[]): 'recreate' | 'update' | undefined {
  const spec = (live['spec'] ?? {}) as { clusterIP?: string; selector?: unknown; ports?: unknown[]; type?: string };
  if (spec.clusterIP !== clusterIPs[0]) return 'recreate';
  if (spec.type !== 'ClusterIP') return 'recreate';
  if (spec.selector !== undefined && spec.selector !== null && Object.keys(spec.selector).length > 0) return 'update';
  const want = ports().map((p) => `${p.name}/${p.protocol}/${p.port}/${p.targetPort}`).join(',');
  const have = ((spec.ports ?? []) as { name?: string; protocol?: string; port?: number; targetPort?: unknown }[]).map((p) => `${p.name}/${p.protocol}/${p.port}/${String(p.targetPort)}`).join(',');
  return want === have ? undefined : 'update';
}

export function kubeDnsEndpoints(e: DnsEndpoint): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    // Mirrored into slices by nobody: the slice below is written directly.
    metadata: { name: KUBE_DNS, namespace: KUBE_SYSTEM, labels: { ...LABELS, 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [
      {
        addresses: [{ ip: e.bound.address, nodeName: e.nodeName }],
        ports: [
          { name: 'dns', port: e.bound.udpPort, protocol: 'UDP' },
          { name: 'dns-tcp', port: e.bound.tcpPort, protocol: 'TCP' },
        ],
      },
    ],
  };
}

export function kubeDnsSlice(e: DnsEndpoint): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: SLICE_NAME, namespace: KUBE_SYSTEM, labels: { 'kubernetes.io/service-name': KUBE_DNS, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY } },
    addressType: e.bound.address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [e.bound.address], conditions: { ready: true, serving: true, terminating: false }, nodeName: e.nodeName }],
    ports: [
      { name: 'dns', port: e.bound.udpPort, protocol: 'UDP' },
      { name: 'dns-tcp', port: e.bound.tcpPort, protocol: 'TCP' },
    ],
  };
}

/**
 * The fields of an Endpoints or EndpointSlice we own, projected so that API defaulting cannot
 * make a written object look changed (which would write again on every event).
 */
export function endpointContent(kind: 'Endpoints' | 'EndpointSlice', object: KubeObject): string {
  type Port = { name?: string; port?: number; protocol?: string };
  const portsOf = (list: Port[] | undefined): string[] => (list ?? []).map((p) => `${p.name ?? ''}/${p.protocol ?? 'TCP'}/${p.port ?? ''}`).sort();
  if (kind === 'Endpoints') {
    const subsets = (object['subsets'] ?? []) as { addresses?: { ip?: string; nodeName?: string }[]; ports?: Port[] }[];
    return JSON.stringify(subsets.map((s) => [(s.addresses ?? []).map((a) => `${a.ip ?? ''}@${a.nodeName ?? ''}`), portsOf(s.ports)]));
  }
  const endpoints = (object['endpoints'] ?? []) as { addresses?: string[]; conditions?: { ready?: boolean }; nodeName?: string }[];
  return JSON.stringify([
    object['addressType'],
    object.metadata?.labels?.['kubernetes.io/service-name'],
    endpoints.map((e) => [e.addresses ?? [], e.conditions?.ready !== false, e.nodeName ?? '']),
    portsOf(object['ports'] as Port[] | undefined),
  ]);
}
