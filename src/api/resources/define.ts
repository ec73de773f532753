/**
 * The one way a built-in resource is declared: a compact spec in, a complete ResourceInfo out.
 * Keeping the defaults here (singular = lower-case kind, listKind = kind + "List", the usual
 * verb set, storage under the plural) lets each group file state only what differs upstream.
 */
import { defaultTable } from '../tables/columns.js';
import type { GroupVersionKind, ResourceInfo, SubresourceInfo, Verb } from '../types.js';

/** The verbs of an ordinary stored resource, in the order upstream's discovery lists them. */
export const CRUD: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Virtual "review" resources: POST answers, nothing is stored. */
export const CREATE_ONLY: readonly Verb[] = ['create'];
export const READ_ONLY: readonly Verb[] = ['get', 'list'];

/** Upstream's OpenAPI package path per API group (io.k8s.api.<pkg>.<version>.<Kind>). */
const DEFINITION_PREFIX: Readonly<Record<string, string>> = {
  '': 'io.k8s.api.core',
  apps: 'io.k8s.api.apps',
  batch: 'io.k8s.api.batch',
  autoscaling: 'io.k8s.api.autoscaling',
  policy: 'io.k8s.api.policy',
  'events.k8s.io': 'io.k8s.api.events',
  'coordination.k8s.io': 'io.k8s.api.coordination',
  'discovery.k8s.io': 'io.k8s.api.discovery',
  'networking.k8s.io': 'io.k8s.api.networking',
  'storage.k8s.io': 'io.k8s.api.storage',
  'scheduling.k8s.io': 'io.k8s.api.scheduling',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
  'authentication.k8s.io': 'io.k8s.api.authentication',
  'authorization.k8s.io': 'io.k8s.api.authorization',
  'certificates.k8s.io': 'io.k8s.api.certificates',
  'admissionregistration.k8s.io': 'io.k8s.api.admissionregistration',
  'flowcontrol.apiserver.k8s.io': 'io.k8s.api.flowcontrol',
  'node.k8s.io': 'io.k8s.api.node',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
  'metrics.k8s.io': 'io.k8s.metrics.pkg.apis.metrics',
};

/** The OpenAPI definition name of a kind, as upstream names it. */
export function definitionName(gvk: GroupVersionKind): string {
  const prefix = DEFINITION_PREFIX[gvk.group];
  if (prefix === undefined) throw new Error(`no OpenAPI package known for API group "${gvk.group}"`);
  return `${prefix}.${gvk.version}.${gvk.kind}`;
}

export interface ResourceSpec {
  readonly kind: string;
  readonly resource: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs?: readonly Verb[];
  readonly subresources?: readonly SubresourceSpec[];
  /** Key segment under /registry; '' = not stored (virtual resources). Defaults to the plural. */
  readonly storage?: string;
  readonly bumpsGeneration?: boolean;
  readonly table?: ResourceInfo['table'];
  readonly fieldSelectors?: ResourceInfo['fieldSelectors'];
  readonly defaults?: ResourceInfo['defaults'];
  readonly validate?: ResourceInfo['validate'];
}

/** A subresource; `kind` defaults to the parent's kind (status, ephemeralcontainers, log). */
export interface SubresourceSpec {
  readonly name: string;
  readonly kind?: GroupVersionKind;
  readonly verbs: readonly Verb[];
}

export const SCALE_KIND: GroupVersionKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

export const status: SubresourceSpec = { name: 'status', verbs: ['get', 'patch', 'update'] };
export const scale: SubresourceSpec = { name: 'scale', kind: SCALE_KIND, verbs: ['get', 'patch', 'update'] };
/** Upstream's verbs for the proxy subresources (pods, nodes, services). */
export const PROXY_VERBS: readonly Verb[] = ['create', 'delete', 'get', 'patch', 'update'];

/** Declares every resource of one group/version. */
export function groupVersion(group: string, version: string, specs: readonly ResourceSpec[]): ResourceInfo[] {
  return specs.map((spec) => define(group, version, spec));
}

function define(group: string, version: string, spec: ResourceSpec): ResourceInfo {
  const self: GroupVersionKind = { group, version, kind: spec.kind };
  const subresources: SubresourceInfo[] = (spec.subresources ?? []).map((sub) => ({
    name: sub.name,
    kind: sub.kind ?? self,
    verbs: sub.verbs,
  }));
  const verbs = spec.verbs ?? CRUD;
  const stored = verbs.includes('list') && verbs.includes('create');
  const info: ResourceInfo = {
    group,
    version,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    resource: spec.resource,
    singular: spec.kind.toLowerCase(),
    namespaced: spec.namespaced,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs,
    subresources,
    storageResource: spec.storage ?? (stored ? spec.resource : ''),
    hasStatus: subresources.some((s) => s.name === 'status'),
    definition: definitionName(self),
    bumpsGeneration: spec.bumpsGeneration ?? false,
    // Listable kinds without a printer of their own get upstream's NAME / CREATED AT table.
    ...(spec.table ? { table: spec.table } : verbs.includes('list') ? { table: defaultTable } : {}),
    ...(spec.fieldSelectors ? { fieldSelectors: spec.fieldSelectors } : {}),
    ...(spec.defaults ? { defaults: spec.defaults } : {}),
    ...(spec.validate ? { validate: spec.validate } : {}),
  };
  return info;
}
