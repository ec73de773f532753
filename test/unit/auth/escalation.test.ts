import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBindingEscalation, checkRoleEscalation, createAuthorizer, RbacCache, uncoveredRules, type UserInfo } from '../../../src/auth/index.js';

const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };

function setup(rules: { verbs: string[]; apiGroups: string[]; resources: string[] }[]) {
  const cache = new RbacCache();
  cache.apply('ClusterRole', 'ADDED', { metadata: { name: 'bob-role' }, rules });
  cache.apply('RoleBinding', 'ADDED', { metadata: { name: 'bob', namespace: 'team' }, roleRef: { kind: 'ClusterRole', name: 'bob-role' }, subjects: [{ kind: 'User', name: 'bob' }] });
  return { cache, authz: createAuthorizer(cache) };
}

test('rule coverage follows upstream: wildcards, */subresource, resourceNames, URL prefixes', () => {
  assert.deepEqual(uncoveredRules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get', 'delete'], apiGroups: ['apps'], resources: ['deployments/scale'] }]), []);
  assert.deepEqual(uncoveredRules([{ verbs: ['update'], apiGroups: [''], resources: ['*/status'] }], [{ verbs: ['update'], apiGroups: [''], resources: ['pods/status'] }]), []);
  assert.deepEqual(uncoveredRules([{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]), [
    { verbs: ['get'], apiGroups: [''], resources: ['secrets'] },
  ]);
  assert.deepEqual(uncoveredRules([{ verbs: ['get'], nonResourceURLs: ['/logs/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/logs/kube'] }]), []);
  assert.equal(uncoveredRules([{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }], [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }]).length, 1);
});

test('a user may create a role only with permissions it holds', async () => {
  const { authz } = setup([{ verbs: ['get', 'list', 'create'], apiGroups: ['', 'rbac.authorization.k8s.io'], resources: ['pods', 'roles', 'rolebindings'] }]);
  assert.equal(await checkRoleEscalation(authz, bob, { kind: 'Role', namespace: 'team', name: 'r', rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }), undefined);
  const denied = await checkRoleEscalation(authz, bob, { kind: 'Role', namespace: 'team', name: 'r', rules: [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] }] });
  assert.equal(
    denied,
    'user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
  );
  // Permissions held in one namespace do not count in another.
  assert.notEqual(await checkRoleEscalation(authz, bob, { kind: 'Role', namespace: 'other', name: 'r', rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }), undefined);
});

test('a user may bind a role only if it holds the role\'s permissions or the bind verb; masters always', async () => {
  const { cache, authz } = setup([{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]);
  cache.apply('ClusterRole', 'ADDED', { metadata: { name: 'reader' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] });
  cache.apply('ClusterRole', 'ADDED', { metadata: { name: 'admin' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] });
  assert.equal(await checkBindingEscalation(authz, cache, bob, { namespace: 'team', roleRef: { kind: 'ClusterRole', name: 'reader' } }), undefined);
  assert.match((await checkBindingEscalation(authz, cache, bob, { namespace: 'team', roleRef: { kind: 'ClusterRole', name: 'admin' } })) ?? '', /not currently held/);
  assert.match((await checkBindingEscalation(authz, cache, bob, { namespace: 'team', roleRef: { kind: 'ClusterRole', name: 'ghost' } })) ?? '', /"ghost" not found/);
  const admin: UserInfo = { username: 'system:admin', groups: ['system:masters'] };
  assert.equal(await checkBindingEscalation(authz, cache, admin, { namespace: 'team', roleRef: { kind: 'ClusterRole', name: 'admin' } }), undefined);
  // The bind verb on that role lifts the check.
  cache.apply('ClusterRole', 'ADDED', { metadata: { name: 'binder' }, rules: [{ verbs: ['bind'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['admin'] }] });
  cache.apply('RoleBinding', 'ADDED', { metadata: { name: 'bob-binder', namespace: 'team' }, roleRef: { kind: 'ClusterRole', name: 'binder' }, subjects: [{ kind: 'User', name: 'bob' }] });
  assert.equal(await checkBindingEscalation(authz, cache, bob, { namespace: 'team', roleRef: { kind: 'ClusterRole', name: 'admin' } }), undefined);
});
