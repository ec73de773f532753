/**
 * Datastore keys, in upstream's layout so an etcd client (or the etcd face) sees what it would see
 * under kube-apiserver: /registry/<storageResource>/<namespace>/<name> for namespaced kinds and
 * /registry/<storageResource>/<name> for cluster-scoped ones.
 */
import type { ResourceInfo } from '../../api/types.js';

export const REGISTRY_PREFIX = '/registry/';

export function resourcePrefix(info: Pick<ResourceInfo, 'storageResource'>): string {
  return `${REGISTRY_PREFIX}${info.storageResource}/`;
}

/** The prefix of a collection: one namespace, or the whole resource when namespace is ''. */
export function collectionPrefix(info: Pick<ResourceInfo, 'storageResource' | 'namespaced'>, namespace: string): string {
  return info.namespaced && namespace !== '' ? `${resourcePrefix(info)}${namespace}/` : resourcePrefix(info);
}

export function objectKey(info: Pick<ResourceInfo, 'storageResource' | 'namespaced'>, namespace: string, name: string): string {
  return info.namespaced ? `${resourcePrefix(info)}${namespace}/${name}` : `${resourcePrefix(info)}${name}`;
}
