/** RBAC escalation prevention: a user allowed to write bindings cannot grant what it does not hold. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCluster } from './kubectl-cluster.js';

test('a user who may create RoleBindings cannot bind cluster-admin (403), but may bind what it holds', { timeout: 120_000 }, async (t) => {
  const c = await startCluster(t);
  const admin = async (args: string[]): Promise<void> => {
    const r = await c.kubectl(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  };
  await admin(['create', 'role', 'binder', '--verb=create,get,list', '--resource=rolebindings,roles']);
  await admin(['create', 'rolebinding', 'bob-binder', '--role=binder', '--user=bob']);

  const escalate = await c.kubectl(['create', 'rolebinding', 'bob-admin', '--clusterrole=cluster-admin', '--user=bob', '--as=bob']);
  assert.equal(escalate.code, 1);
  assert.match(escalate.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "bob-admin" is forbidden: user "bob" .* is attempting to grant RBAC permissions not currently held/);
  assert.equal((await c.kubectl(['get', 'rolebinding', 'bob-admin'])).code, 1, 'nothing was stored');

  const role = await c.kubectl(['create', 'role', 'too-much', '--verb=delete', '--resource=secrets', '--as=bob']);
  assert.equal(role.code, 1);
  assert.match(role.stderr, /is attempting to grant RBAC permissions not currently held/);

  const allowed = await c.kubectl(['create', 'rolebinding', 'alice-binder', '--role=binder', '--user=alice', '--as=bob']);
  assert.equal(allowed.code, 0, allowed.stderr);
});
