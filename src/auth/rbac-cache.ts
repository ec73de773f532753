/**
 * An in-memory RbacLookup the apiserver keeps current from its watch events on the four RBAC
 * resources, indexed so that authorizing a request reads only the cluster-wide bindings and the
 * request namespace's bindings. Objects are the stored JSON (rbac.authorization.k8s.io/v1).
 */
import type { ClusterRole, ClusterRoleBinding, RbacLookup, Role, RoleBinding } from './rbac-types.js';

export type RbacKind = 'ClusterRole' | 'Role' | 'ClusterRoleBinding' | 'RoleBinding';

/** Any of the four RBAC objects, as stored. */
type Named = ClusterRole | Role | RoleBinding;

export class RbacCache implements RbacLookup {
  readonly #clusterRoles = new Map<string, ClusterRole>();
  readonly #roles = new Map<string, Map<string, Role>>();
  readonly #clusterRoleBindings = new Map<string, ClusterRoleBinding>();
  readonly #roleBindings = new Map<string, Map<string, RoleBinding>>();

  /** Applies an ADDED/MODIFIED (object present) or DELETED event. */
  apply(kind: RbacKind, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Named): void {
    const name = object.metadata?.name;
    if (!name) return;
    const namespace = object.metadata?.namespace ?? '';
    const put = <T>(map: Map<string, T>): void => {
      if (type === 'DELETED') map.delete(name);
      else map.set(name, object as T);
    };
    const inNamespace = <T>(index: Map<string, Map<string, T>>): Map<string, T> => {
      let map = index.get(namespace);
      if (!map) index.set(namespace, (map = new Map()));
      return map;
    };
    switch (kind) {
      case 'ClusterRole':
        return put(this.#clusterRoles);
      case 'ClusterRoleBinding':
        return put(this.#clusterRoleBindings);
      case 'Role':
        return put(inNamespace(this.#roles));
      case 'RoleBinding':
        return put(inNamespace(this.#roleBindings));
    }
  }

  /** Replaces everything of one kind (after a relist). */
  replace(kind: RbacKind, objects: Iterable<Named>): void {
    if (kind === 'ClusterRole') this.#clusterRoles.clear();
    else if (kind === 'ClusterRoleBinding') this.#clusterRoleBindings.clear();
    else if (kind === 'Role') this.#roles.clear();
    else this.#roleBindings.clear();
    for (const o of objects) this.apply(kind, 'ADDED', o);
  }

  getClusterRole(name: string): ClusterRole | undefined {
    return this.#clusterRoles.get(name);
  }
  getRole(namespace: string, name: string): Role | undefined {
    return this.#roles.get(namespace)?.get(name);
  }
  listClusterRoleBindings(): Iterable<ClusterRoleBinding> {
    return this.#clusterRoleBindings.values();
  }
  listRoleBindings(namespace: string): Iterable<RoleBinding> {
    return this.#roleBindings.get(namespace)?.values() ?? [];
  }
}
