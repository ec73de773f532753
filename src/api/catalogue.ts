/**
 * The resource catalogue: the one registry of served resources, looked up by the API server's
 * router (group, version, plural or short name), by kind (decoding bodies, owner references)
 * and listed whole (discovery, OpenAPI). Custom resources are added and removed at runtime as
 * CRDs come and go; built-ins are fixed.
 */
import { builtinResources } from './resources/index.js';
import type { GroupVersionKind, ResourceInfo } from './types.js';

export interface APIGroupInfo {
  /** '' for the core group. */
  readonly name: string;
  /** Served versions, preferred first. */
  readonly versions: readonly string[];
  readonly preferredVersion: string;
}

const gvKey = (group: string, version: string): string => `${group}/${version}`;
const gvkKey = (gvk: GroupVersionKind): string => `${gvk.group}/${gvk.version}/${gvk.kind}`;

export class Catalogue {
  readonly #resources: ResourceInfo[] = [];
  /** group/version -> resource, singular or short name -> info. */
  readonly #byName = new Map<string, Map<string, ResourceInfo>>();
  readonly #byKind = new Map<string, ResourceInfo>();
  /** Group order as first registered; versions in registration order (preferred first). */
  readonly #groups = new Map<string, string[]>();

  constructor(resources: readonly ResourceInfo[] = builtinResources()) {
    for (const info of resources) this.add(info);
  }

  /** Registers a resource (a CRD's version becoming served). Rejects clashes loudly. */
  add(info: ResourceInfo): void {
    const key = gvKey(info.group, info.version);
    let names = this.#byName.get(key);
    if (!names) {
      names = new Map();
      this.#byName.set(key, names);
    }
    if (names.get(info.resource)?.resource === info.resource) {
      throw new Error(`resource "${info.resource}" is already served in ${key || 'v1'}; remove it before adding it again`);
    }
    if (this.#byKind.has(gvkKey(info))) {
      throw new Error(`kind ${info.kind} is already served in ${key}; each kind has one resource per group/version`);
    }
    this.#resources.push(info);
    // Plural wins over another resource's singular or short name, as kubectl's RESTMapper does.
    names.set(info.resource, info);
    for (const alias of [info.singular, ...info.shortNames]) {
      if (!names.has(alias)) names.set(alias, info);
    }
    this.#byKind.set(gvkKey(info), info);
    const versions = this.#groups.get(info.group);
    if (!versions) this.#groups.set(info.group, [info.version]);
    else if (!versions.includes(info.version)) versions.push(info.version);
  }

  /** Unregisters a resource (a CRD deleted or a version no longer served). */
  remove(group: string, version: string, resource: string): void {
    const info = this.#byName.get(gvKey(group, version))?.get(resource);
    if (!info || info.resource !== resource) return;
    this.#resources.splice(this.#resources.indexOf(info), 1);
    const names = this.#byName.get(gvKey(group, version));
    for (const [name, at] of names ?? []) if (at === info) names?.delete(name);
    this.#byKind.delete(gvkKey(info));
    if (!this.#resources.some((r) => r.group === group && r.version === version)) {
      const versions = this.#groups.get(group)?.filter((v) => v !== version) ?? [];
      if (versions.length === 0) this.#groups.delete(group);
      else this.#groups.set(group, versions);
    }
  }

  all(): readonly ResourceInfo[] {
    return this.#resources;
  }

  /** By plural (what URLs carry), or by singular or short name for convenience. */
  lookup(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.#byName.get(gvKey(group, version))?.get(resource.toLowerCase());
  }

  byKind(gvk: GroupVersionKind): ResourceInfo | undefined {
    return this.#byKind.get(gvkKey(gvk));
  }

  /** The resources of one group/version, in catalogue order. */
  resourcesOf(group: string, version: string): ResourceInfo[] {
    return this.#resources.filter((r) => r.group === group && r.version === version);
  }

  /** Served groups, core ("") first, then upstream's order; preferred version first. */
  groups(): APIGroupInfo[] {
    return [...this.#groups].map(([name, versions]) => ({
      name,
      versions: [...versions],
      preferredVersion: versions[0] ?? '',
    }));
  }
}
