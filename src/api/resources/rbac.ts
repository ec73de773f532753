/** rbac.authorization.k8s.io/v1. */
import type { ResourceInfo } from '../types.js';
import { groupVersion } from './define.js';
import { clusterRoleBindingTable, roleBindingTable } from '../tables/index.js';
import { defaults } from '../defaults/index.js';
import { validators } from '../validation/index.js';

export function rbacResources(): ResourceInfo[] {
  return groupVersion('rbac.authorization.k8s.io', 'v1', [
    { kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false, table: clusterRoleBindingTable, defaults: defaults.binding, validate: validators.clusterRoleBinding },
    { kind: 'ClusterRole', resource: 'clusterroles', namespaced: false, validate: validators.clusterRole },
    { kind: 'RoleBinding', resource: 'rolebindings', namespaced: true, table: roleBindingTable, defaults: defaults.binding, validate: validators.roleBinding },
    { kind: 'Role', resource: 'roles', namespaced: true, validate: validators.role },
  ]);
}
