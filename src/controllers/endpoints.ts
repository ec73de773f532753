/**
 * Endpoints and EndpointSlice controller: for every Service with a selector, the pods it selects
 * (with an IP) become its Endpoints (ready pods in addresses, the others in notReadyAddresses)
 * and its EndpointSlices (with ready/serving/terminating conditions, owned by the Service).
 * Named target ports are resolved per pod. Services without a selector are left to their users.
 */
import type { KubeObject } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isAlreadyExists, isNotFound, type ResourceRef } from '../client/types.js';
import { QueueController, type ControllerContext } from './controller.js';
import { isPodReady, type PodLike } from './pods.js';

const SERVICES = { group: '', version: 'v1', resource: 'services' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const ENDPOINTS = { group: '', version: 'v1', resource: 'endpoints' } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } as const;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'endpointslice-controller.k8s.io';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}
type Service = KubeObject & { spec?: { selector?: Record<string, string>; ports?: ServicePort[]; type?: string; publishNotReadyAddresses?: boolean } };
type Pod = PodLike & { spec?: { nodeName?: string; hostname?: string; subdomain?: string; containers?: { ports?: { name?: string; containerPort: number; protocol?: string }[] }[] }; status?: PodLike['status'] & { podIP?: string } };

interface ResolvedPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

interface Member {
  pod: Pod;
  ports: ResolvedPort[];
  ready: boolean;
  terminating: boolean;
}

/** A service port's target on a pod: a number, or a named container port (undefined when the pod has no such name). */
function resolvePort(port: ServicePort, pod: Pod): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP')) return p.containerPort;
  }
  return undefined;
}

export class EndpointsController extends QueueController {
  readonly name = 'endpoints-controller';
  private services!: Informer<Service>;
  private pods!: Informer<Pod>;
  private endpoints!: Informer;
  private slices!: Informer;

  protected register(ctx: ControllerContext): void {
    this.services = ctx.informers.for<Service>(SERVICES);
    this.pods = ctx.informers.for<Pod>(PODS);
    this.endpoints = ctx.informers.for(ENDPOINTS);
    this.slices = ctx.informers.for(SLICES);
    this.slices.addIndex('service', (s) => {
      const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      return name && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY ? [`${s.metadata?.namespace}/${name}`] : [];
    });
    const enqueueService = (s: KubeObject): void => this.queue.add(objectKey(s));
    this.services.addHandlers({ onAdd: enqueueService, onUpdate: enqueueService, onDelete: enqueueService });
    const enqueueForPod = (pod: Pod, old?: Pod): void => {
      for (const svc of this.services.list()) {
        if (svc.metadata?.namespace !== pod.metadata?.namespace || !svc.spec?.selector) continue;
        const selector = labelSelectorFromObject({ matchLabels: svc.spec.selector });
        if (selector.matches(pod.metadata?.labels) || (old && selector.matches(old.metadata?.labels))) this.queue.add(objectKey(svc));
      }
    };
    this.pods.addHandlers({ onAdd: (p) => enqueueForPod(p), onUpdate: (p, old) => enqueueForPod(p, old), onDelete: (p) => enqueueForPod(p) });
    // Someone else changing what we own: put it back.
    const enqueueByName = (o: KubeObject): void => this.queue.add(objectKey(o));
    const enqueueByLabel = (o: KubeObject): void => {
      const svc = o.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc) this.queue.add(`${o.metadata?.namespace}/${svc}`);
    };
    this.endpoints.addHandlers({ onUpdate: enqueueByName, onDelete: enqueueByName });
    this.slices.addHandlers({ onUpdate: enqueueByLabel, onDelete: enqueueByLabel });
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace = '', name } = splitKey(key);
    const svc = this.services.get(key);
    if (!svc) {
      // Slices are owned by the service (the garbage collector removes them); Endpoints are not.
      if (this.endpoints.get(key)) await this.deleteQuietly({ ...ENDPOINTS, namespace }, name);
      return;
    }
    if (!svc.spec?.selector || svc.spec.type === 'ExternalName') return;
    const members = this.members(svc);
    await this.syncEndpoints(svc, members);
    await this.syncSlices(svc, members);
  }

  private members(svc: Service): Member[] {
    const selector = labelSelectorFromObject({ matchLabels: svc.spec?.selector ?? {} });
    const out: Member[] = [];
    for (const pod of this.pods.list()) {
      if (pod.metadata?.namespace !== svc.metadata?.namespace || !selector.matches(pod.metadata?.labels)) continue;
      const phase = pod.status?.phase;
      if (!pod.status?.podIP || phase === 'Succeeded' || phase === 'Failed') continue;
      const ports: ResolvedPort[] = [];
      for (const p of svc.spec?.ports ?? []) {
        const port = resolvePort(p, pod);
        if (port === undefined) continue;
        ports.push({ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) });
      }
      out.push({ pod, ports, ready: svc.spec?.publishNotReadyAddresses === true || isPodReady(pod), terminating: pod.metadata?.deletionTimestamp !== undefined });
    }
    return out.sort((a, b) => (a.pod.status?.podIP ?? '').localeCompare(b.pod.status?.podIP ?? ''));
  }

  private address(pod: Pod): Record<string, unknown> {
    return {
      ip: pod.status?.podIP,
      ...(pod.spec?.hostname && pod.spec.subdomain ? { hostname: pod.spec.hostname } : {}),
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    };
  }

  private async syncEndpoints(svc: Service, members: Member[]): Promise<void> {
    // One subset per distinct set of resolved ports, as upstream's repacking produces.
    const subsets = new Map<string, { addresses: unknown[]; notReadyAddresses: unknown[]; ports: ResolvedPort[] }>();
    for (const m of members) {
      if (m.terminating || m.ports.length === 0) continue;
      const k = JSON.stringify(m.ports);
      let subset = subsets.get(k);
      if (!subset) subsets.set(k, (subset = { addresses: [], notReadyAddresses: [], ports: m.ports }));
      (m.ready ? subset.addresses : subset.notReadyAddresses).push(this.address(m.pod));
    }
    const wanted = [...subsets.values()].map((s) => ({
      ...(s.addresses.length ? { addresses: s.addresses } : {}),
      ...(s.notReadyAddresses.length ? { notReadyAddresses: s.notReadyAddresses } : {}),
      ports: s.ports,
    }));
    const namespace = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const ref: ResourceRef = { ...ENDPOINTS, namespace };
    const current = this.endpoints.get(`${namespace}/${name}`);
    const labels = { ...svc.metadata?.labels };
    const body: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, ...(wanted.length ? { subsets: wanted } : {}) };
    if (!current) {
      try {
        await this.ctx.client.create(ref, body);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      return;
    }
    if (JSON.stringify(current.subsets ?? []) === JSON.stringify(wanted) && JSON.stringify(current.metadata?.labels ?? {}) === JSON.stringify(labels)) return;
    await this.ctx.client.update(ref, { ...current, metadata: { ...current.metadata, labels }, subsets: wanted.length ? wanted : undefined } as KubeObject);
  }

  private async syncSlices(svc: Service, members: Member[]): Promise<void> {
    const namespace = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const ref: ResourceRef = { ...SLICES, namespace };
    const groups = new Map<string, { ports: ResolvedPort[]; endpoints: unknown[] }>();
    for (const m of members) {
      const k = JSON.stringify(m.ports);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { ports: m.ports, endpoints: [] }));
      const { ip: _ip, ...addr } = this.address(m.pod);
      g.endpoints.push({ addresses: [m.pod.status?.podIP], conditions: { ready: m.ready && !m.terminating, serving: m.ready, terminating: m.terminating }, ...addr });
    }
    if (groups.size === 0) groups.set('[]', { ports: (svc.spec?.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: typeof p.targetPort === 'number' ? p.targetPort : p.port, protocol: p.protocol ?? 'TCP' })), endpoints: [] });
    const existing = this.slices.byIndex('service', `${namespace}/${name}`);
    const labels = { ...svc.metadata?.labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
    const owner = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
    const unused = [...existing];
    for (const [k, g] of groups) {
      // Reuse the slice with the same ports, else any left over, else create one.
      const samePorts = unused.findIndex((s) => JSON.stringify(s.ports ?? []) === k);
      const slice = unused.splice(samePorts >= 0 ? samePorts : 0, 1)[0];
      const body = { addressType: 'IPv4', endpoints: g.endpoints, ports: g.ports };
      if (!slice) {
        await this.ctx.client.create(ref, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { generateName: `${name}-`, namespace, labels, ownerReferences: [owner] }, ...body });
        continue;
      }
      const same = JSON.stringify({ addressType: slice.addressType, endpoints: slice.endpoints ?? [], ports: slice.ports ?? [] }) === JSON.stringify(body) && JSON.stringify(slice.metadata?.labels) === JSON.stringify(labels);
      if (!same) await this.ctx.client.update(ref, { ...slice, metadata: { ...slice.metadata, labels }, ...body });
    }
    for (const extra of unused) await this.deleteQuietly(ref, extra.metadata?.name ?? '');
  }

  private async deleteQuietly(ref: ResourceRef, name: string): Promise<void> {
    try {
      await this.ctx.client.delete(ref, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
