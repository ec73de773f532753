import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthorizer, forbiddenStatus, type ClusterRole, type PolicyRule, type RbacLookup, type RequestAttributes, type Role, type RoleBinding, type UserInfo } from '../../../src/auth/index.js';

function store(objects: { clusterRoles?: ClusterRole[]; roles?: Role[]; clusterRoleBindings?: RoleBinding[]; roleBindings?: RoleBinding[] }): RbacLookup {
  return {
    getClusterRole: (name) => objects.clusterRoles?.find((r) => r.metadata?.name === name),
    getRole: (namespace, name) => objects.roles?.find((r) => r.metadata?.name === name && r.metadata?.namespace === namespace),
    listClusterRoleBindings: () => objects.clusterRoleBindings ?? [],
    listRoleBindings: async (namespace) => (objects.roleBindings ?? []).filter((b) => b.metadata?.namespace === namespace),
  };
}

const alice: UserInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };
const sa: UserInfo = { username: 'system:serviceaccount:team:bot', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] };

function req(user: UserInfo, verb: string, resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes {
  return { user, verb, isResourceRequest: true, apiGroup: '', resource, ...extra };
}

const podReader: ClusterRole = { metadata: { name: 'pod-reader' }, rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }] };

test('system:masters may do anything without any binding', async () => {
  const authz = createAuthorizer(store({}));
  const admin: UserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };
  assert.equal((await authz.authorize(req(admin, 'delete', 'nodes', { name: 'n1' }))).allowed, true);
  assert.equal((await authz.authorize({ user: admin, verb: 'get', isResourceRequest: false, path: '/metrics' })).allowed, true);
});

test('with no bindings a user is denied, with upstream\'s empty reason', async () => {
  assert.deepEqual(await createAuthorizer(store({})).authorize(req(alice, 'get', 'pods', { namespace: 'default' })), { allowed: false, reason: '' });
});

test('a ClusterRoleBinding to a group grants its ClusterRole in every namespace, naming the binding', async () => {
  const authz = createAuthorizer(store({
    clusterRoles: [podReader],
    clusterRoleBindings: [{ metadata: { name: 'devs-read' }, roleRef: { kind: 'ClusterRole', name: 'pod-reader' }, subjects: [{ kind: 'Group', name: 'devs' }] }],
  }));
  const d = await authz.authorize(req(alice, 'list', 'pods', { namespace: 'anywhere' }));
  assert.deepEqual(d, { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "devs-read" of ClusterRole "pod-reader" to Group "devs"' });
  assert.equal((await authz.authorize(req(alice, 'delete', 'pods', { namespace: 'anywhere', name: 'x' }))).allowed, false);
  assert.equal((await authz.authorize(req(alice, 'list', 'deployments', { apiGroup: 'apps', namespace: 'x' }))).allowed, false);
});

test('a RoleBinding grants only inside its own namespace, with a Role or a ClusterRole', async () => {
  const authz = createAuthorizer(store({
    clusterRoles: [podReader],
    roles: [{ metadata: { name: 'cm-writer', namespace: 'team' }, rules: [{ verbs: ['create', 'update'], apiGroups: [''], resources: ['configmaps'] }] }],
    roleBindings: [
      { metadata: { name: 'read', namespace: 'team' }, roleRef: { kind: 'ClusterRole', name: 'pod-reader' }, subjects: [{ kind: 'User', name: 'alice' }] },
      { metadata: { name: 'write', namespace: 'team' }, roleRef: { kind: 'Role', name: 'cm-writer' }, subjects: [{ kind: 'User', name: 'alice' }] },
    ],
  }));
  assert.equal((await authz.authorize(req(alice, 'get', 'pods', { namespace: 'team', name: 'p' }))).allowed, true);
  assert.equal((await authz.authorize(req(alice, 'create', 'configmaps', { namespace: 'team' }))).allowed, true);
  assert.equal((await authz.authorize(req(alice, 'get', 'pods', { namespace: 'other', name: 'p' }))).allowed, false);
  assert.equal((await authz.authorize(req(alice, 'list', 'pods'))).allowed, false, 'not cluster-wide');
});

test('a ServiceAccount subject without a namespace means the binding\'s namespace', async () => {
  const authz = createAuthorizer(store({
    clusterRoles: [podReader],
    roleBindings: [{ metadata: { name: 'bot', namespace: 'team' }, roleRef: { kind: 'ClusterRole', name: 'pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'bot' }] }],
  }));
  const d = await authz.authorize(req(sa, 'watch', 'pods', { namespace: 'team' }));
  assert.deepEqual(d, { allowed: true, reason: 'RBAC: allowed by RoleBinding "bot/team" of ClusterRole "pod-reader" to ServiceAccount "team/bot"' });
});

test('wildcards, subresources and */subresource match as upstream', async () => {
  const role = (rules: PolicyRule[]): ClusterRole => ({ metadata: { name: 'r' }, rules });
  const bound = (r: ClusterRole) => createAuthorizer(store({ clusterRoles: [r], clusterRoleBindings: [{ metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'User', name: 'alice' }] }] }));
  const star = bound(role([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]));
  assert.equal((await star.authorize(req(alice, 'patch', 'deployments', { apiGroup: 'apps', subresource: 'scale', namespace: 'x', name: 'd' }))).allowed, true);
  const podsOnly = bound(role([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
  assert.equal((await podsOnly.authorize(req(alice, 'get', 'pods', { subresource: 'log', namespace: 'x', name: 'p' }))).allowed, false, 'pods does not cover pods/log');
  const logs = bound(role([{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]));
  assert.equal((await logs.authorize(req(alice, 'get', 'pods', { subresource: 'log', namespace: 'x', name: 'p' }))).allowed, true);
  assert.equal((await logs.authorize(req(alice, 'get', 'pods', { namespace: 'x', name: 'p' }))).allowed, false, 'pods/log does not cover pods');
  const anyStatus = bound(role([{ verbs: ['update'], apiGroups: ['*'], resources: ['*/status'] }]));
  assert.equal((await anyStatus.authorize(req(alice, 'update', 'deployments', { apiGroup: 'apps', subresource: 'status', namespace: 'x', name: 'd' }))).allowed, true);
  assert.equal((await anyStatus.authorize(req(alice, 'update', 'deployments', { apiGroup: 'apps', namespace: 'x', name: 'd' }))).allowed, false);
});

test('resourceNames restrict to named objects and never match a list or a create', async () => {
  const authz = createAuthorizer(store({
    clusterRoles: [{ metadata: { name: 'one-cm' }, rules: [{ verbs: ['get', 'list', 'create', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] }] }],
    clusterRoleBindings: [{ metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'one-cm' }, subjects: [{ kind: 'User', name: 'alice' }] }],
  }));
  assert.equal((await authz.authorize(req(alice, 'get', 'configmaps', { namespace: 'x', name: 'settings' }))).allowed, true);
  assert.equal((await authz.authorize(req(alice, 'update', 'configmaps', { namespace: 'x', name: 'settings' }))).allowed, true);
  assert.equal((await authz.authorize(req(alice, 'get', 'configmaps', { namespace: 'x', name: 'other' }))).allowed, false);
  assert.equal((await authz.authorize(req(alice, 'list', 'configmaps', { namespace: 'x' }))).allowed, false);
  assert.equal((await authz.authorize(req(alice, 'create', 'configmaps', { namespace: 'x' }))).allowed, false);
});

test('nonResourceURLs match exactly or by a trailing-* prefix', async () => {
  const authz = createAuthorizer(store({
    clusterRoles: [{ metadata: { name: 'discovery' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/version'] }] }],
    clusterRoleBindings: [{ metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'discovery' }, subjects: [{ kind: 'Group', name: 'system:authenticated' }] }],
  }));
  const nr = (path: string, verb = 'get'): RequestAttributes => ({ user: alice, verb, isResourceRequest: false, path });
  assert.equal((await authz.authorize(nr('/api'))).allowed, true);
  assert.equal((await authz.authorize(nr('/api/v1'))).allowed, true);
  assert.equal((await authz.authorize(nr('/version'))).allowed, true);
  assert.equal((await authz.authorize(nr('/versionz'))).allowed, false);
  assert.equal((await authz.authorize(nr('/apis'))).allowed, false);
  assert.equal((await authz.authorize(nr('/api', 'post'))).allowed, false);
});

test('a binding to a missing role grants nothing and says so in the reason', async () => {
  const authz = createAuthorizer(store({ clusterRoleBindings: [{ metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'ghost' }, subjects: [{ kind: 'User', name: 'alice' }] }] }));
  assert.deepEqual(await authz.authorize(req(alice, 'get', 'pods', { namespace: 'x', name: 'p' })), {
    allowed: false,
    reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "ghost" not found',
  });
});

test('rulesFor lists what kubectl auth can-i --list shows', async () => {
  const authz = createAuthorizer(store({
    clusterRoles: [podReader, { metadata: { name: 'disc' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }],
    roles: [{ metadata: { name: 'one', namespace: 'team' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }] }],
    clusterRoleBindings: [{ metadata: { name: 'd' }, roleRef: { kind: 'ClusterRole', name: 'disc' }, subjects: [{ kind: 'Group', name: 'system:authenticated' }] }],
    roleBindings: [
      { metadata: { name: 'a', namespace: 'team' }, roleRef: { kind: 'ClusterRole', name: 'pod-reader' }, subjects: [{ kind: 'User', name: 'alice' }] },
      { metadata: { name: 'b', namespace: 'team' }, roleRef: { kind: 'Role', name: 'one' }, subjects: [{ kind: 'User', name: 'alice' }] },
    ],
  }));
  assert.deepEqual(await authz.rulesFor(alice, 'team'), {
    resourceRules: [
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] },
    ],
    nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
    incomplete: false,
  });
  const other = await authz.rulesFor(alice, 'elsewhere');
  assert.equal(other.resourceRules.length, 0);
  // system:masters is allowed without rules; only RBAC rules are listed, as upstream.
  const admin = await authz.rulesFor({ username: 'system:admin', groups: ['system:masters'] }, 'default');
  assert.deepEqual(admin.resourceRules, []);
});

test('a denial becomes the Status kubectl prints as upstream does', () => {
  assert.deepEqual(forbiddenStatus(req(alice, 'list', 'pods', { namespace: 'default' })), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
    message: 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
    details: { kind: 'pods' },
  });
  const named = forbiddenStatus(req(alice, 'patch', 'deployments', { apiGroup: 'apps', subresource: 'scale', namespace: 'x', name: 'web' }));
  assert.equal(named.message, 'deployments.apps "web" is forbidden: User "alice" cannot patch resource "deployments/scale" in API group "apps" in the namespace "x"');
  assert.deepEqual(named.details, { name: 'web', group: 'apps', kind: 'deployments' });
  assert.equal(forbiddenStatus(req(alice, 'list', 'nodes')).message, 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
  assert.equal(forbiddenStatus({ user: alice, verb: 'get', isResourceRequest: false, path: '/metrics' }).message, 'forbidden: User "alice" cannot get path "/metrics"');
});
