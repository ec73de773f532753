import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapPolicy, createAuthorizer, type RbacLookup, type RequestAttributes, type UserInfo } from '../../../src/auth/index.js';

function lookup(): RbacLookup {
  const policy = bootstrapPolicy();
  return {
    getClusterRole: (name) => policy.clusterRoles.find((r) => r.metadata.name === name),
    getRole: () => undefined,
    listClusterRoleBindings: () => policy.clusterRoleBindings,
    listRoleBindings: () => [],
  };
}

const sa: UserInfo = { username: 'system:serviceaccount:default:default', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] };
const anon: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

test('every authenticated user may discover the API and review itself, and nothing more', async () => {
  const authz = createAuthorizer(lookup());
  const nr = (user: UserInfo, path: string): RequestAttributes => ({ user, verb: 'get', isResourceRequest: false, path });
  for (const path of ['/api', '/api/v1', '/apis/apps/v1', '/openapi/v3', '/version', '/healthz']) {
    assert.equal((await authz.authorize(nr(sa, path))).allowed, true, path);
  }
  assert.equal((await authz.authorize({ user: sa, verb: 'create', isResourceRequest: true, apiGroup: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' })).allowed, true);
  assert.equal((await authz.authorize({ user: sa, verb: 'create', isResourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'selfsubjectreviews' })).allowed, true);
  assert.equal((await authz.authorize({ user: sa, verb: 'list', isResourceRequest: true, apiGroup: '', resource: 'pods', namespace: 'default' })).allowed, false);
  // Anonymous users only see public info.
  assert.equal((await authz.authorize(nr(anon, '/version'))).allowed, true);
  assert.equal((await authz.authorize(nr(anon, '/api'))).allowed, false);
});

test('the aggregated view, edit and admin roles nest as upstream', async () => {
  const roles = bootstrapPolicy().clusterRoles;
  const rules = (name: string) => roles.find((r) => r.metadata.name === name)!.rules;
  const has = (name: string, verb: string, group: string, resource: string) =>
    rules(name).some((r) => r.verbs.includes(verb) && (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource));
  assert.ok(has('view', 'list', 'apps', 'deployments'));
  assert.ok(!has('view', 'get', '', 'secrets'), 'view cannot read secrets');
  assert.ok(has('edit', 'list', 'apps', 'deployments'), 'edit includes view');
  assert.ok(has('edit', 'get', '', 'secrets'));
  assert.ok(has('edit', 'create', '', 'serviceaccounts/token'));
  assert.ok(!has('edit', 'create', 'rbac.authorization.k8s.io', 'roles'));
  assert.ok(has('admin', 'create', 'rbac.authorization.k8s.io', 'roles'), 'admin adds RBAC');
  assert.ok(has('admin', 'list', 'apps', 'deployments'), 'admin includes edit and view');
  assert.equal(new Set(rules('admin').map((r) => JSON.stringify(r))).size, rules('admin').length, 'no duplicate rules');
});

test('cluster-admin is bound to system:masters and every default object is marked for auto-update', () => {
  const policy = bootstrapPolicy();
  const binding = policy.clusterRoleBindings.find((b) => b.metadata.name === 'cluster-admin')!;
  assert.deepEqual(binding.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }]);
  for (const o of [...policy.clusterRoles, ...policy.clusterRoleBindings]) {
    assert.equal(o.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
    assert.equal(o.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
  }
});

test('kube-proxy (the client-kube-proxy certificate\'s user) may watch services and endpoint slices', async () => {
  const authz = createAuthorizer(lookup());
  const proxy: UserInfo = { username: 'system:kube-proxy', groups: ['system:authenticated'] };
  assert.equal((await authz.authorize({ user: proxy, verb: 'watch', isResourceRequest: true, apiGroup: 'discovery.k8s.io', resource: 'endpointslices' })).allowed, true);
  assert.equal((await authz.authorize({ user: proxy, verb: 'list', isResourceRequest: true, apiGroup: '', resource: 'services' })).allowed, true);
  assert.equal((await authz.authorize({ user: proxy, verb: 'get', isResourceRequest: true, apiGroup: '', resource: 'secrets', namespace: 'x', name: 'y' })).allowed, false);
});
