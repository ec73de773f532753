/**
 * What one object costs against a ResourceQuota (upstream's quota evaluators): every object is
 * count/<resource>[.<group>] (and the legacy names pods, services, configmaps, ...); pods add
 * their cpu/memory/ephemeral-storage requests and limits, Services their node ports and load
 * balancers, PersistentVolumeClaims their storage (also per storage class). Shared by the
 * quota controller (status.used) and quota admission (the charge of a create).
 */
import type { KubeObject } from '../api/types.js';
import { toMilli, type Usage } from './quantity.js';

export interface QuotaTarget {
  readonly group: string;
  readonly resource: string;
}

/** Names an object count was known by before count/* existed. */
const LEGACY_COUNTS = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims']);
/** Resources whose quota requires every container to state it (upstream's backward-compatible rule). */
export const MUST_SPECIFY = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];
const STANDARD = new Set(['cpu', 'memory', 'ephemeral-storage']);
const ONE = 1000n;

export function countName(target: QuotaTarget): string {
  return target.group === '' ? `count/${target.resource}` : `count/${target.resource}.${target.group}`;
}

type ResourceList = Record<string, unknown>;
interface Container {
  name?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
  restartPolicy?: string;
}
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  overhead?: ResourceList;
  activeDeadlineSeconds?: number;
  priorityClassName?: string;
}

/** A container's requests; an unset request is its limit (as pod defaulting does). */
function requestsOf(c: Container): ResourceList {
  return { ...c.resources?.limits, ...c.resources?.requests };
}

/** Pod-level sums, as the scheduler counts them: containers and sidecars add up, init containers take the max. */
function podTotals(spec: PodSpec, pick: (c: Container) => ResourceList | undefined, overhead: boolean): Usage {
  const total: Usage = new Map();
  const add = (list: ResourceList | undefined): void => {
    for (const [k, v] of Object.entries(list ?? {})) {
      const m = toMilli(v);
      if (m !== undefined) total.set(k, (total.get(k) ?? 0n) + m);
    }
  };
  for (const c of spec.containers ?? []) add(pick(c));
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') add(pick(c));
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') continue;
    for (const [k, v] of Object.entries(pick(c) ?? {})) {
      const m = toMilli(v);
      if (m !== undefined && m > (total.get(k) ?? 0n)) total.set(k, m);
    }
  }
  if (overhead) add(spec.overhead);
  return total;
}

export function podRequests(pod: KubeObject): Usage {
  return podTotals((pod['spec'] ?? {}) as PodSpec, requestsOf, true);
}

export function podLimits(pod: KubeObject): Usage {
  return podTotals((pod['spec'] ?? {}) as PodSpec, (c) => c.resources?.limits, true);
}

/** A pod that finished no longer uses its quota. */
export function podCounts(pod: KubeObject): boolean {
  const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function isBestEffort(pod: KubeObject): boolean {
  const spec = (pod['spec'] ?? {}) as PodSpec;
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].every((c) => Object.keys(c.resources?.requests ?? {}).length === 0 && Object.keys(c.resources?.limits ?? {}).length === 0);
}

function podUsage(pod: KubeObject): Usage {
  const usage: Usage = new Map([['pods', ONE], ['count/pods', ONE]]);
  for (const [k, v] of podRequests(pod)) {
    if (STANDARD.has(k)) usage.set(k, v);
    usage.set(`requests.${k}`, v);
  }
  for (const [k, v] of podLimits(pod)) usage.set(`limits.${k}`, v);
  return usage;
}

function serviceUsage(svc: KubeObject): Usage {
  const spec = (svc['spec'] ?? {}) as { type?: string; ports?: unknown[]; allocateLoadBalancerNodePorts?: boolean };
  const usage: Usage = new Map([['services', ONE], ['count/services', ONE]]);
  const ports = BigInt(spec.ports?.length ?? 0) * ONE;
  if (spec.type === 'NodePort') usage.set('services.nodeports', ports);
  else usage.set('services.nodeports', 0n);
  if (spec.type === 'LoadBalancer') {
    usage.set('services.loadbalancers', ONE);
    if (spec.allocateLoadBalancerNodePorts !== false) usage.set('services.nodeports', ports);
  } else usage.set('services.loadbalancers', 0n);
  return usage;
}

function claimUsage(pvc: KubeObject): Usage {
  const spec = (pvc['spec'] ?? {}) as { storageClassName?: string; resources?: { requests?: ResourceList } };
  const usage: Usage = new Map([['persistentvolumeclaims', ONE], ['count/persistentvolumeclaims', ONE]]);
  const storage = toMilli(spec.resources?.requests?.['storage']) ?? 0n;
  usage.set('requests.storage', storage);
  if (spec.storageClassName) {
    usage.set(`${spec.storageClassName}.storageclass.storage.k8s.io/requests.storage`, storage);
    usage.set(`${spec.storageClassName}.storageclass.storage.k8s.io/persistentvolumeclaims`, ONE);
  }
  return usage;
}

/** The usage of one object of `target` (zero for pods that finished). */
export function usageOf(target: QuotaTarget, object: KubeObject): Usage {
  const usage: Usage = new Map([[countName(target), ONE]]);
  if (target.group !== '') return usage;
  if (target.resource === 'pods') {
    return podCounts(object) ? podUsage(object) : new Map();
  }
  if (target.resource === 'services') return serviceUsage(object);
  if (target.resource === 'persistentvolumeclaims') return claimUsage(object);
  if (LEGACY_COUNTS.has(target.resource)) usage.set(target.resource, ONE);
  return usage;
}

interface ScopeSelector {
  matchExpressions?: { scopeName: string; operator: string; values?: string[] }[];
}

export interface QuotaSpec {
  hard?: Record<string, unknown>;
  scopes?: string[];
  scopeSelector?: ScopeSelector;
}

/** Scopes only ever select pods (upstream: quotas with scopes track pod resources only). */
export function matchesScopes(spec: QuotaSpec, target: QuotaTarget, object: KubeObject): boolean {
  const expressions = [...(spec.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists', values: [] as string[] })), ...(spec.scopeSelector?.matchExpressions ?? [])];
  if (expressions.length === 0) return true;
  if (target.group !== '' || target.resource !== 'pods') return false;
  const podSpec = (object['spec'] ?? {}) as PodSpec;
  return expressions.every((e) => {
    let holds: boolean;
    switch (e.scopeName) {
      case 'Terminating':
        holds = podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null && podSpec.activeDeadlineSeconds >= 0;
        break;
      case 'NotTerminating':
        holds = podSpec.activeDeadlineSeconds === undefined || podSpec.activeDeadlineSeconds === null;
        break;
      case 'BestEffort':
        holds = isBestEffort(object);
        break;
      case 'NotBestEffort':
        holds = !isBestEffort(object);
        break;
      case 'PriorityClass': {
        const name = podSpec.priorityClassName ?? '';
        if (e.operator === 'Exists') return name !== '';
        if (e.operator === 'DoesNotExist') return name === '';
        const inList = (e.values ?? []).includes(name);
        return e.operator === 'NotIn' ? !inList : inList;
      }
      default:
        return false;
    }
    return e.operator === 'DoesNotExist' || e.operator === 'NotIn' ? !holds : holds;
  });
}

/** The containers that do not state each resource the quota requires them to ("must specify"). */
export function missingStatements(pod: KubeObject, hard: readonly string[]): Map<string, string[]> {
  const required = MUST_SPECIFY.filter((r) => hard.includes(r));
  const missing = new Map<string, string[]>();
  const spec = (pod['spec'] ?? {}) as PodSpec;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const r of required) {
      const [kind, name] = r.includes('.') ? (r.split('.') as [string, string]) : ['requests', r];
      const stated = kind === 'limits' ? limits[name] !== undefined : requests[name] !== undefined || limits[name] !== undefined;
      if (stated) continue;
      const list = missing.get(r) ?? [];
      list.push(c.name ?? '');
      missing.set(r, list);
    }
  }
  return missing;
}

/** The resources whose objects a quota with these hard names has to count. */
export function targetsFor(hard: readonly string[]): QuotaTarget[] {
  const out = new Map<string, QuotaTarget>();
  const add = (group: string, resource: string): void => void out.set(`${resource}.${group}`, { group, resource });
  for (const name of hard) {
    if (name.startsWith('count/')) {
      const rest = name.slice('count/'.length);
      const dot = rest.indexOf('.');
      add(dot < 0 ? '' : rest.slice(dot + 1), dot < 0 ? rest : rest.slice(0, dot));
    } else if (name.startsWith('services')) add('', 'services');
    else if (name === 'persistentvolumeclaims' || name === 'requests.storage' || name.includes('.storageclass.storage.k8s.io/')) add('', 'persistentvolumeclaims');
    else if (LEGACY_COUNTS.has(name)) add('', name);
    else if (name.startsWith('requests.') || name.startsWith('limits.') || STANDARD.has(name) || name.startsWith('hugepages-')) add('', 'pods');
  }
  return [...out.values()];
}
