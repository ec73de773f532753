/**
 * LimitRanger admission, as upstream's plugin: for each LimitRange of the namespace, a new pod's
 * containers get the Container defaults they do not state (default -> limits, defaultRequest ->
 * requests; recorded in the kubernetes.io/limit-ranger annotation), then the pod is checked
 * against min, max and maxLimitRequestRatio per Container and per Pod, and a new claim against
 * the PersistentVolumeClaim storage min/max. Violations are 403 Forbidden with upstream's
 * messages ("maximum cpu usage per Container is 1, but limit is 2").
 */
import type { KubeObject } from '../../api/types.js';
import { canonicalQuantity, formatMilli, podLimits, podRequests, toMilli, type Usage } from '../../quota/index.js';
import { forbidden, groupResource } from '../errors.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/admission.js';
import type { WatchCache } from '../watch-cache.js';

const PREFIX = '/registry/limitranges/';
const ANNOTATION = 'kubernetes.io/limit-ranger';

type ResourceList = Record<string, unknown>;
interface LimitItem {
  type?: string;
  max?: ResourceList;
  min?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}
interface Container {
  name?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

function itemsOf(range: KubeObject): LimitItem[] {
  return ((range['spec'] as { limits?: LimitItem[] } | undefined)?.limits ?? []);
}

/** Upstream's mergeContainerResources: fills what the container leaves unset, says what it set. */
function applyDefaults(c: Container, item: LimitItem, what: string, notes: string[]): void {
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  const resources = (c.resources ??= {});
  for (const [k, v] of Object.entries(item.default ?? {})) {
    if ((resources.limits ?? {})[k] !== undefined) continue;
    (resources.limits ??= {})[k] = v;
    setLimits.push(k);
  }
  for (const [k, v] of Object.entries(item.defaultRequest ?? {})) {
    if ((resources.requests ?? {})[k] !== undefined) continue;
    (resources.requests ??= {})[k] = v;
    setRequests.push(k);
  }
  if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${what} ${c.name ?? ''}`);
  if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${what} ${c.name ?? ''}`);
}

/** One resource of one LimitRange item against observed request and limit (upstream's min/max/ratio constraints). */
function check(kind: string, resource: string, item: LimitItem, request: bigint | undefined, limit: bigint | undefined, show: (v: bigint) => string, errors: string[]): void {
  const min = toMilli(item.min?.[resource]);
  if (min !== undefined) {
    const enforced = canonicalQuantity(item.min?.[resource], resource);
    if (request === undefined) errors.push(`minimum ${resource} usage per ${kind} is ${enforced}.  No request is specified`);
    else if (request < min) errors.push(`minimum ${resource} usage per ${kind} is ${enforced}, but request is ${show(request)}`);
    else if (limit !== undefined && limit < min) errors.push(`minimum ${resource} usage per ${kind} is ${enforced}, but limit is ${show(limit)}`);
  }
  const max = toMilli(item.max?.[resource]);
  if (max !== undefined && kind === 'PersistentVolumeClaim') {
    // A claim's limits are not user input: its max is held against the request.
    const enforced = canonicalQuantity(item.max?.[resource], resource);
    if (request === undefined) errors.push(`maximum ${resource} usage per ${kind} is ${enforced}.  No request is specified`);
    else if (request > max) errors.push(`maximum ${resource} usage per ${kind} is ${enforced}, but request is ${show(request)}`);
  } else if (max !== undefined) {
    const enforced = canonicalQuantity(item.max?.[resource], resource);
    if (limit === undefined) errors.push(`maximum ${resource} usage per ${kind} is ${enforced}.  No limit is specified`);
    else if (limit > max) errors.push(`maximum ${resource} usage per ${kind} is ${enforced}, but limit is ${show(limit)}`);
    else if (request !== undefined && request > max) errors.push(`maximum ${resource} usage per ${kind} is ${enforced}, but request is ${show(request)}`);
  }
  const ratio = toMilli(item.maxLimitRequestRatio?.[resource]);
  if (ratio !== undefined) {
    const enforced = canonicalQuantity(item.maxLimitRequestRatio?.[resource], resource);
    if (request === undefined || request === 0n) errors.push(`${resource} max limit to request ratio per ${kind} is ${enforced}, but no request is specified or request is 0`);
    else if (limit === undefined || limit === 0n) errors.push(`${resource} max limit to request ratio per ${kind} is ${enforced}, but no limit is specified or limit is 0`);
    else if (limit * 1000n > ratio * request) errors.push(`${resource} max limit to request ratio per ${kind} is ${enforced}, but provided ratio is ${(Number(limit) / Number(request)).toFixed(6)}`);
  }
}

function resourcesNamed(item: LimitItem): string[] {
  return [...new Set([...Object.keys(item.min ?? {}), ...Object.keys(item.max ?? {}), ...Object.keys(item.maxLimitRequestRatio ?? {})])].sort();
}

function milliList(list: ResourceList | undefined): Usage {
  const out: Usage = new Map();
  for (const [k, v] of Object.entries(list ?? {})) {
    const m = toMilli(v);
    if (m !== undefined) out.set(k, m);
  }
  return out;
}

export function limitRanger(options: { readonly cache: WatchCache }): AdmissionPlugin {
  return {
    name: 'LimitRanger',
    admit(attrs: AdmissionAttributes) {
      if (attrs.operation !== 'CREATE' || attrs.subresource !== '' || attrs.info.group !== '') return;
      if (attrs.info.resource !== 'pods' && attrs.info.resource !== 'persistentvolumeclaims') return;
      const ranges = options.cache.list(PREFIX, `${PREFIX}${attrs.namespace}/`).map((e) => e.object);
      if (ranges.length === 0) return;
      const object = attrs.object;
      const errors: string[] = [];
      if (attrs.info.resource === 'pods') {
        const spec = (object['spec'] ??= {}) as { containers?: Container[]; initContainers?: Container[] };
        const notes: string[] = [];
        for (const range of ranges) {
          for (const item of itemsOf(range)) {
            if (item.type !== 'Container') continue;
            for (const c of spec.containers ?? []) applyDefaults(c, item, 'container', notes);
            for (const c of spec.initContainers ?? []) applyDefaults(c, item, 'init container', notes);
          }
        }
        if (notes.length > 0) {
          const meta = (object.metadata ??= {});
          meta.annotations = { ...meta.annotations, [ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
        }
        for (const range of ranges) {
          for (const item of itemsOf(range)) {
            if (item.type === 'Container') {
              for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
                const requests = milliList(c.resources?.requests);
                const limits = milliList(c.resources?.limits);
                for (const r of resourcesNamed(item)) check('Container', r, item, requests.get(r), limits.get(r), (v) => formatMilli(v, r), errors);
              }
            } else if (item.type === 'Pod') {
              const requests = podRequests(object);
              const limits = podLimits(object);
              for (const r of resourcesNamed(item)) check('Pod', r, item, requests.get(r), limits.get(r), (v) => formatMilli(v, r), errors);
            }
          }
        }
      } else {
        const resources = (object['spec'] as { resources?: { requests?: ResourceList; limits?: ResourceList } } | undefined)?.resources;
        for (const range of ranges) {
          for (const item of itemsOf(range)) {
            if (item.type !== 'PersistentVolumeClaim') continue;
            const requests = milliList(resources?.requests);
            for (const r of resourcesNamed(item)) check('PersistentVolumeClaim', r, item, requests.get(r), undefined, (v) => formatMilli(v, r), errors);
          }
        }
      }
      if (errors.length === 0) return;
      throw forbidden(groupResource(attrs.info), object.metadata?.name ?? '', errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`);
    },
  };
}
