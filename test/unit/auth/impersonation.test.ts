import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthorizer, impersonate, RbacCache, type UserInfo } from '../../../src/auth/index.js';

const admin: UserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };
const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

function authorizerWith(rules: { verbs: string[]; apiGroups: string[]; resources: string[]; resourceNames?: string[] }[]) {
  const cache = new RbacCache();
  cache.apply('ClusterRole', 'ADDED', { metadata: { name: 'imp' }, rules } as never);
  cache.apply('ClusterRoleBinding', 'ADDED', { metadata: { name: 'imp' }, roleRef: { kind: 'ClusterRole', name: 'imp' }, subjects: [{ kind: 'User', name: 'alice' }] } as never);
  return createAuthorizer(cache);
}

test('no Impersonate-* header leaves the request as it is', async () => {
  assert.deepEqual(await impersonate(alice, { accept: 'application/json' }, authorizerWith([])), { kind: 'none' });
});

test('kubectl --as=bob --as-group=devs runs as bob in devs and system:authenticated', async () => {
  const result = await impersonate(admin, { 'impersonate-user': 'bob', 'impersonate-group': 'devs' }, createAuthorizer(new RbacCache()));
  assert.deepEqual(result, { kind: 'impersonated', user: { username: 'bob', groups: ['devs', 'system:authenticated'] } });
});

test('impersonating a service account adds its groups when none are given', async () => {
  const result = await impersonate(admin, { 'impersonate-user': 'system:serviceaccount:team:bot' }, createAuthorizer(new RbacCache()));
  assert.deepEqual(result.kind === 'impersonated' && result.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated']);
});

test('impersonating without the impersonate verb is forbidden with upstream\'s message', async () => {
  const result = await impersonate(alice, { 'impersonate-user': 'bob' }, authorizerWith([]));
  assert.equal(result.kind, 'forbidden');
  assert.equal(result.kind === 'forbidden' && result.status.message, 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
});

test('each requested group needs its own permission', async () => {
  const authz = authorizerWith([{ verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['bob'] }]);
  assert.equal((await impersonate(alice, { 'impersonate-user': 'bob' }, authz)).kind, 'impersonated');
  const withGroup = await impersonate(alice, { 'impersonate-user': 'bob', 'impersonate-group': 'system:masters' }, authz);
  assert.equal(withGroup.kind, 'forbidden');
  assert.match(withGroup.kind === 'forbidden' ? String(withGroup.status.message) : '', /cannot impersonate resource "groups"/);
});

test('groups without a user are a bad request', async () => {
  assert.deepEqual(await impersonate(admin, { 'impersonate-group': 'devs' }, createAuthorizer(new RbacCache())), {
    kind: 'bad-request',
    message: 'requested [groups] without impersonating a user',
  });
});

test('RbacCache follows deletions and namespaces', async () => {
  const cache = new RbacCache();
  const rb = { metadata: { name: 'rb', namespace: 'a' }, roleRef: { kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'User', name: 'alice' }] };
  cache.apply('ClusterRole', 'ADDED', { metadata: { name: 'r' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] } as never);
  cache.apply('RoleBinding', 'ADDED', rb as never);
  const authz = createAuthorizer(cache);
  const get = (namespace: string) => authz.authorize({ user: alice, verb: 'get', isResourceRequest: true, apiGroup: '', resource: 'pods', namespace, name: 'p' });
  assert.equal((await get('a')).allowed, true);
  assert.equal((await get('b')).allowed, false);
  cache.apply('RoleBinding', 'DELETED', rb as never);
  assert.equal((await get('a')).allowed, false);
});
