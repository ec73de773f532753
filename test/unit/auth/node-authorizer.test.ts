import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthorizer, createNodeAuthorizer, RbacCache, unionAuthorizers, type RequestAttributes, type UserInfo } from '../../../src/auth/index.js';
import type { KubeObject } from '../../../src/api/types.js';

const nodeA: UserInfo = { username: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] };

const pods: KubeObject[] = [
  {
    kind: 'Pod',
    metadata: { namespace: 'app', name: 'web' },
    spec: {
      nodeName: 'a',
      serviceAccountName: 'web-sa',
      imagePullSecrets: [{ name: 'regcred' }],
      volumes: [
        { name: 'conf', configMap: { name: 'web-config' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'web-data' } },
        { name: 'tok', projected: { sources: [{ secret: { name: 'projected-secret' } }] } },
      ],
      containers: [{ name: 'c', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db-password', key: 'p' } } }], envFrom: [{ configMapRef: { name: 'env-config' } }] }],
    },
  },
];

const authz = createNodeAuthorizer({
  podsOnNode: (node) => (node === 'a' ? pods : []),
  persistentVolumeFor: (ns, claim) => (ns === 'app' && claim === 'web-data' ? 'pv-1' : undefined),
});

const r = (verb: string, resource: string, extra: Partial<RequestAttributes> = {}, user = nodeA): RequestAttributes => ({ user, verb, isResourceRequest: true, apiGroup: '', resource, ...extra });

test('a node may read exactly the secrets and configmaps its pods use', async () => {
  for (const name of ['regcred', 'projected-secret', 'db-password']) {
    assert.equal((await authz.authorize(r('get', 'secrets', { namespace: 'app', name }))).allowed, true, name);
  }
  for (const name of ['web-config', 'env-config']) assert.equal((await authz.authorize(r('watch', 'configmaps', { namespace: 'app', name }))).allowed, true, name);
  const other = await authz.authorize(r('get', 'secrets', { namespace: 'app', name: 'admin-token' }));
  assert.deepEqual(other, { allowed: false, reason: "no relationship found between node 'a' and this object" });
  assert.equal((await authz.authorize(r('get', 'secrets', { namespace: 'app', name: 'regcred' }, { username: 'system:node:b', groups: ['system:nodes'] }))).allowed, false);
  assert.equal((await authz.authorize(r('list', 'secrets', { namespace: 'app' }))).allowed, false, 'no unnamed lists');
  assert.equal((await authz.authorize(r('update', 'secrets', { namespace: 'app', name: 'regcred' }))).allowed, false);
});

test('PVCs and their PVs, service-account tokens and its own lease are scoped to the node', async () => {
  assert.equal((await authz.authorize(r('get', 'persistentvolumeclaims', { namespace: 'app', name: 'web-data' }))).allowed, true);
  assert.equal((await authz.authorize(r('get', 'persistentvolumes', { name: 'pv-1' }))).allowed, true);
  assert.equal((await authz.authorize(r('get', 'persistentvolumes', { name: 'pv-2' }))).allowed, false);
  assert.equal((await authz.authorize(r('create', 'serviceaccounts', { subresource: 'token', namespace: 'app', name: 'web-sa' }))).allowed, true);
  assert.equal((await authz.authorize(r('create', 'serviceaccounts', { subresource: 'token', namespace: 'kube-system', name: 'admin' }))).allowed, false);
  const lease = (verb: string, name: string, namespace = 'kube-node-lease') => authz.authorize(r(verb, 'leases', { apiGroup: 'coordination.k8s.io', namespace, name }));
  assert.equal((await lease('update', 'a')).allowed, true);
  assert.equal((await lease('update', 'b')).allowed, false);
  assert.equal((await lease('get', 'a', 'default')).allowed, false);
});

test('other node work follows the static node rules', async () => {
  assert.equal((await authz.authorize(r('patch', 'nodes', { subresource: 'status', name: 'a' }))).allowed, true);
  assert.equal((await authz.authorize(r('update', 'pods', { subresource: 'status', namespace: 'app', name: 'web' }))).allowed, true);
  assert.equal((await authz.authorize(r('list', 'services'))).allowed, true);
  assert.equal((await authz.authorize(r('delete', 'namespaces', { name: 'app' }))).allowed, false);
});

test('Node then RBAC: non-nodes fall through to RBAC untouched', async () => {
  const cache = new RbacCache();
  const both = unionAuthorizers(authz, createAuthorizer(cache));
  const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };
  assert.equal((await both.authorize(r('get', 'secrets', { namespace: 'app', name: 'regcred' }, alice))).allowed, false);
  cache.apply('ClusterRole', 'ADDED', { metadata: { name: 'secrets' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }] } as never);
  cache.apply('ClusterRoleBinding', 'ADDED', { metadata: { name: 'alice' }, roleRef: { kind: 'ClusterRole', name: 'secrets' }, subjects: [{ kind: 'User', name: 'alice' }] } as never);
  assert.equal((await both.authorize(r('get', 'secrets', { namespace: 'app', name: 'regcred' }, alice))).allowed, true);
  assert.equal((await both.authorize(r('get', 'secrets', { namespace: 'app', name: 'regcred' }))).allowed, true);
  const rules = await both.rulesFor(nodeA, 'app');
  assert.ok(rules.resourceRules.some((rule) => rule.resources.includes('nodes/status')));
});
