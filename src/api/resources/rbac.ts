/** rbac.authorization.k8s.io/v1. */
import type { ResourceInfo } from '../types.js';
import { groupVersion } from './define.js';

export function rbacResources(): ResourceInfo[] {
  return groupVersion('rbac.authorization.k8s.io', 'v1', [
    { kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false },
    { kind: 'ClusterRole', resource: 'clusterroles', namespaced: false },
    { kind: 'RoleBinding', resource: 'rolebindings', namespaced: true },
    { kind: 'Role', resource: 'roles', namespaced: true },
  ]);
}
