/**
 * RBAC objects for the authorizer, read straight from the watch cache (always current, no second
 * copy): cluster roles and bindings, and one namespace's roles and bindings by key prefix.
 */
import type { KubeObject } from '../api/types.js';
import type { WatchCache } from './watch-cache.js';

export interface CacheRbacLookup {
  getClusterRole(name: string): KubeObject | undefined;
  getRole(namespace: string, name: string): KubeObject | undefined;
  listClusterRoleBindings(): KubeObject[];
  listRoleBindings(namespace: string): KubeObject[];
}

const P = '/registry/';

export function rbacLookup(cache: WatchCache): CacheRbacLookup {
  return {
    getClusterRole: (name) => cache.get(`${P}clusterroles/${name}`)?.object,
    getRole: (namespace, name) => cache.get(`${P}roles/${namespace}/${name}`)?.object,
    listClusterRoleBindings: () => cache.list(`${P}clusterrolebindings/`).map((e) => e.object),
    listRoleBindings: (namespace) => cache.list(`${P}rolebindings/`, `${P}rolebindings/${namespace}/`).map((e) => e.object),
  };
}
