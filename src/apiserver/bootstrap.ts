/**
 * Objects every cluster starts with: the four system namespaces, and the `kubernetes` Service
 * (first IP of the service CIDR, 443 -> the API server's port) with its Endpoints and
 * EndpointSlice pointing at this server. Created when missing, corrected when they drift
 * (the endpoints follow the advertised address and port across restarts).
 */
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject, ResourceInfo } from '../api/types.js';
import { ipv4Nth, parseCidr } from '../config/net.js';
import { logger } from '../log/index.js';
import { StatusError } from './errors.js';
import type { Registry, WriteContext } from './registry/store.js';
import { LOOPBACK_USER } from './types.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

export interface BootstrapOptions {
  readonly serviceCidr: string;
  /** The address other nodes and pods reach the API server at. */
  readonly advertiseAddress: string;
  readonly port: number;
}

const log = logger('apiserver');

function must(catalogue: Catalogue, group: string, version: string, resource: string): ResourceInfo {
  const info = catalogue.lookup(group, version, resource);
  if (!info) throw new Error(`internal: ${resource} missing from the catalogue`);
  return info;
}

async function ensure(registry: Registry, info: ResourceInfo, namespace: string, object: KubeObject, ctx: WriteContext, reconcile?: (live: KubeObject) => KubeObject | undefined): Promise<void> {
  const name = object.metadata?.name ?? '';
  const live = await registry.find(info, namespace, name);
  if (!live) {
    try {
      await registry.create(info, namespace, object, ctx);
    } catch (err) {
      if (!(err instanceof StatusError && err.status.reason === 'AlreadyExists')) throw err;
    }
    return;
  }
  const fixed = reconcile?.(structuredClone(live.object));
  if (fixed) await registry.update(info, namespace, name, fixed, ctx);
}

export async function bootstrapObjects(registry: Registry, catalogue: Catalogue, options: BootstrapOptions): Promise<void> {
  const ctx: WriteContext = { user: LOOPBACK_USER, dryRun: false, fieldManager: 'k3s' };
  const namespaces = must(catalogue, '', 'v1', 'namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(registry, namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }, ctx);
  }
  const cidr = parseCidr(options.serviceCidr);
  if (!cidr || cidr.family !== 4) throw new Error(`service CIDR "${options.serviceCidr}" must be an IPv4 CIDR`);
  const clusterIP = ipv4Nth(cidr, 1);
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  await ensure(
    registry,
    must(catalogue, '', 'v1', 'services'),
    'default',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels },
      spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], sessionAffinity: 'None', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: options.port }] },
    },
    ctx,
    (live) => {
      const spec = (live['spec'] ?? {}) as { ports?: { targetPort?: unknown }[] };
      if (spec.ports?.[0]?.targetPort === options.port) return undefined;
      spec.ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: options.port } as never];
      return live;
    },
  );
  const subsets = [{ addresses: [{ ip: options.advertiseAddress }], ports: [{ name: 'https', port: options.port, protocol: 'TCP' }] }];
  await ensure(
    registry,
    must(catalogue, '', 'v1', 'endpoints'),
    'default',
    { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets },
    ctx,
    (live) => (JSON.stringify(live['subsets']) === JSON.stringify(subsets) ? undefined : { ...live, subsets }),
  );
  const slices = catalogue.lookup('discovery.k8s.io', 'v1', 'endpointslices');
  if (slices) {
    const endpoints = [{ addresses: [options.advertiseAddress], conditions: { ready: true } }];
    const ports = [{ name: 'https', port: options.port, protocol: 'TCP' }];
    await ensure(
      registry,
      slices,
      'default',
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
        addressType: 'IPv4',
        endpoints,
        ports,
      },
      ctx,
      (live) => (JSON.stringify(live['endpoints']) === JSON.stringify(endpoints) && JSON.stringify(live['ports']) === JSON.stringify(ports) ? undefined : { ...live, endpoints, ports }),
    );
  }
  log.debug({ clusterIP, advertise: options.advertiseAddress }, 'default objects in place');
}

/** Creates each object that does not exist yet (by its apiVersion/kind); existing ones are left alone. */
export async function ensureObjects(registry: Registry, catalogue: Catalogue, objects: readonly KubeObject[]): Promise<void> {
  const ctx: WriteContext = { user: LOOPBACK_USER, dryRun: false, fieldManager: 'k3s' };
  for (const object of objects) {
    const [group, version] = (object.apiVersion ?? '').includes('/') ? (object.apiVersion ?? '').split('/') : ['', object.apiVersion ?? ''];
    const info = catalogue.byKind({ group: group ?? '', version: version ?? '', kind: object.kind ?? '' });
    if (!info) throw new Error(`internal: no resource serves ${object.apiVersion ?? ''} ${object.kind ?? ''}`);
    const namespace = object.metadata?.namespace ?? '';
    const rules = object['rules'];
    if (object['aggregationRule'] !== undefined && Array.isArray(rules) && rules.length > 0) {
      // Aggregated roles are created empty and filled by an update, as the aggregation controller does.
      const fill = (live: KubeObject): KubeObject | undefined =>
        JSON.stringify(live['rules'] ?? []) === '[]' ? { ...live, rules: structuredClone(rules) } : undefined;
      await ensure(registry, info, namespace, { ...structuredClone(object), rules: [] }, ctx, fill);
      // ensure() only reconciles an object that already existed: on a fresh cluster, fill it now.
      const created = await registry.find(info, namespace, object.metadata?.name ?? '');
      const filled = created ? fill(structuredClone(created.object)) : undefined;
      if (filled) await registry.update(info, namespace, object.metadata?.name ?? '', filled, ctx);
      continue;
    }
    await ensure(registry, info, namespace, structuredClone(object), ctx);
  }
}
