/** rbac.authorization.k8s.io/v1. */
import type { ResourceInfo } from '../types.js';
import { groupVersion } from './define.js';
import { clusterRoleBindingTable, roleBindingTable } from '../tables/index.js';
import { defaults } from '../defaults/index.js';

export function rbacResources(): ResourceInfo[] {
  return groupVersion('rbac.authorization.k8s.io', 'v1', [
    { kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false, table: clusterRoleBindingTable, defaults: defaults.binding },
    { kind: 'ClusterRole', resource: 'clusterroles', namespaced: false },
    { kind: 'RoleBinding', resource: 'rolebindings', namespaced: true, table: roleBindingTable, defaults: defaults.binding },
    { kind: 'Role', resource: 'roles', namespaced: true },
  ]);
}
