/**
 * Discovery documents, as pure functions of the catalogue: the aggregated form kubectl asks for
 * first (apidiscovery.k8s.io v2 / v2beta1 APIGroupDiscoveryList for /api and /apis) and the
 * legacy form it falls back to (APIVersions, APIGroupList, APIResourceList). Resources are listed
 * by name with each resource's subresources after it, as upstream lists them.
 */
import { createHash } from 'node:crypto';
import type { Catalogue } from './catalogue.js';
import type { GroupVersionKind, ResourceInfo, Verb } from './types.js';

/** The Content-Type that makes kubectl treat a /api or /apis answer as aggregated discovery. */
export const AGGREGATED_DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_DISCOVERY_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

export type AggregatedVersion = 'v2' | 'v2beta1';

const byName = (a: ResourceInfo, b: ResourceInfo): number => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0);
const gvString = (group: string, version: string): string => (group ? `${group}/${version}` : version);

/**
 * Upstream's storageVersionHash: base64 of the first 8 bytes of sha256("<group/version>/<kind>")
 * of the version objects are stored in. Clients only compare it for changes.
 */
export function storageVersionHash(gvk: GroupVersionKind): string {
  const digest = createHash('sha256').update(`${gvString(gvk.group, gvk.version)}/${gvk.kind}`).digest();
  return digest.subarray(0, 8).toString('base64');
}

/** The version a resource is stored as: events.k8s.io events live as core v1 Events. */
function storageVersionOf(info: ResourceInfo): GroupVersionKind {
  if (info.group === 'events.k8s.io' && info.kind === 'Event') return { group: '', version: 'v1', kind: 'Event' };
  return { group: info.group, version: info.version, kind: info.kind };
}

function aggregatedResource(info: ResourceInfo): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    resource: info.resource,
    responseKind: { group: info.group, version: info.version, kind: info.kind },
    scope: info.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: info.singular,
    verbs: [...info.verbs],
  };
  if (info.shortNames.length > 0) entry['shortNames'] = [...info.shortNames];
  if (info.categories.length > 0) entry['categories'] = [...info.categories];
  if (info.subresources.length > 0) {
    entry['subresources'] = [...info.subresources]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((sub) => ({
        subresource: sub.name,
        responseKind: { group: sub.kind.group, version: sub.kind.version, kind: sub.kind.kind },
        verbs: [...sub.verbs],
      }));
  }
  return entry;
}

function aggregatedGroup(catalogue: Catalogue, group: string, versions: readonly string[]): Record<string, unknown> {
  return {
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: versions.map((version) => ({
      version,
      resources: catalogue.resourcesOf(group, version).sort(byName).map(aggregatedResource),
      freshness: 'Current',
    })),
  };
}

/**
 * /api (legacy: true, the core group only) or /apis (every named group) in aggregated form.
 * Serve it with AGGREGATED_DISCOVERY_V2 (or _V2BETA1) as Content-Type.
 */
export function aggregatedDiscovery(catalogue: Catalogue, legacy: boolean, version: AggregatedVersion = 'v2'): Record<string, unknown> {
  const groups = catalogue.groups().filter((g) => (g.name === '') === legacy);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => aggregatedGroup(catalogue, g.name, g.versions)),
  };
}

/** /api in legacy form. `serverAddress` is host:port clients reach this server at. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** A named group as /apis and /apis/<group> describe it (APIGroup). */
export function apiGroup(catalogue: Catalogue, name: string): Record<string, unknown> | undefined {
  const group = catalogue.groups().find((g) => g.name === name && name !== '');
  if (!group) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name,
    versions: group.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${group.preferredVersion}`, version: group.preferredVersion },
  };
}

/** /apis in legacy form. */
export function apiGroupList(catalogue: Catalogue): Record<string, unknown> {
  const groups = catalogue
    .groups()
    .filter((g) => g.name !== '')
    .map((g) => {
      const { kind: _kind, apiVersion: _apiVersion, ...rest } = apiGroup(catalogue, g.name) ?? {};
      return rest;
    });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

interface LegacyEntry {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: Verb[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

/** /api/v1 or /apis/<group>/<version> (APIResourceList); undefined when not served. */
export function apiResourceList(catalogue: Catalogue, group: string, version: string): Record<string, unknown> | undefined {
  const infos = catalogue.resourcesOf(group, version).sort(byName);
  if (infos.length === 0) return undefined;
  const resources: LegacyEntry[] = [];
  for (const info of infos) {
    const entry: LegacyEntry = {
      name: info.resource,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: [...info.verbs],
    };
    if (info.shortNames.length > 0) entry.shortNames = [...info.shortNames];
    if (info.categories.length > 0) entry.categories = [...info.categories];
    if (info.storageResource) entry.storageVersionHash = storageVersionHash(storageVersionOf(info));
    resources.push(entry);
    for (const sub of [...info.subresources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const other = sub.kind.group !== group || sub.kind.version !== version;
      resources.push({
        name: `${info.resource}/${sub.name}`,
        singularName: '',
        namespaced: info.namespaced,
        ...(other ? { group: sub.kind.group, version: sub.kind.version } : {}),
        kind: sub.kind.kind,
        verbs: [...sub.verbs],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvString(group, version), resources };
}
