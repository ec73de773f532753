/**
 * Subresources and review resources over HTTP: pods/binding (once only), pods/eviction (graceful
 * for a bound pod, 429 under a PodDisruptionBudget), deployments/scale (autoscaling/v1 Scale),
 * SelfSubjectAccessReview and SelfSubjectReview.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness, USER_TOKEN, type Harness } from './harness.js';

const json = { 'Content-Type': 'application/json' };
const PODS = '/api/v1/namespaces/default/pods';

async function post(h: Harness, path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await h.request('POST', path, { body: JSON.stringify(body), headers: json, ...(token ? { token } : {}) });
  return { status: r.status, body: r.json() as Record<string, unknown> };
}

test('binding sets spec.nodeName once; eviction deletes gracefully or answers 429 under a PDB', async (t) => {
  const h = await startHarness(t);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  assert.equal((await post(h, PODS, pod)).status, 201);
  const bound = await post(h, `${PODS}/p/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'node-1' } });
  assert.equal(bound.status, 201);
  const stored = (await h.request('GET', `${PODS}/p`)).json() as { spec: { nodeName: string }; status: { conditions: { type: string; status: string }[] } };
  assert.equal(stored.spec.nodeName, 'node-1');
  assert.ok(stored.status.conditions.some((c) => c.type === 'PodScheduled' && c.status === 'True'));
  const again = await post(h, `${PODS}/p/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'node-2' } });
  assert.equal(again.status, 409);
  assert.match(String(again.body['message']), /already assigned to node "node-1"/);

  const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'keep' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } } } };
  assert.equal((await post(h, '/apis/policy/v1/namespaces/default/poddisruptionbudgets', pdb)).status, 201);
  // A pending pod is never protected by a budget (as upstream): make it run first.
  const running = await h.request('PATCH', `${PODS}/p/status`, { body: JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(running.status, 200, running.text);
  const blocked = await post(h, `${PODS}/p/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' } });
  assert.equal(blocked.status, 429);
  assert.equal(blocked.body['reason'], 'TooManyRequests');
  await h.request('DELETE', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/keep');
  const evicted = await post(h, `${PODS}/p/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' } });
  assert.equal(evicted.status, 201);
  // A pod bound to a node terminates gracefully: the kubelet finishes the deletion.
  const terminating = (await h.request('GET', `${PODS}/p`)).json() as { metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number } };
  assert.match(terminating.metadata.deletionTimestamp ?? '', /^\d{4}-/);
  assert.equal(terminating.metadata.deletionGracePeriodSeconds, 30);
  const forced = await h.request('DELETE', `${PODS}/p`, { body: JSON.stringify({ gracePeriodSeconds: 0 }), headers: json });
  assert.equal(forced.status, 200, forced.text);
  assert.equal((await h.request('GET', `${PODS}/p`)).status, 404);
});

test('the scale subresource reads and writes spec.replicas as an autoscaling/v1 Scale', async (t) => {
  const h = await startHarness(t);
  const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
  assert.equal((await post(h, '/apis/apps/v1/namespaces/default/deployments', deploy)).status, 201);
  const path = '/apis/apps/v1/namespaces/default/deployments/d/scale';
  const scale = (await h.request('GET', path)).json() as { kind: string; apiVersion: string; spec: { replicas: number }; status: { selector: string } };
  assert.equal(scale.kind, 'Scale');
  assert.equal(scale.apiVersion, 'autoscaling/v1');
  assert.equal(scale.spec.replicas, 2);
  assert.equal(scale.status.selector, 'app=d');
  const patched = await h.request('PATCH', path, { body: '{"spec":{"replicas":5}}', headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(patched.status, 200);
  assert.equal((patched.json() as { spec: { replicas: number } }).spec.replicas, 5);
  const stored = (await h.request('GET', '/apis/apps/v1/namespaces/default/deployments/d')).json() as { spec: { replicas: number }; metadata: { generation: number } };
  assert.equal(stored.spec.replicas, 5);
  assert.equal(stored.metadata.generation, 2);
  const negative = await h.request('PATCH', path, { body: '{"spec":{"replicas":-1}}', headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(negative.status, 422);
});

test('SelfSubjectAccessReview answers from the authorizer; SelfSubjectReview names the caller', async (t) => {
  const h = await startHarness(t);
  const review = (verb: string, resource: string): unknown => ({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'default', verb, resource } },
  });
  const yes = await post(h, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review('list', 'configmaps'), USER_TOKEN);
  assert.equal(yes.status, 201);
  assert.equal((yes.body['status'] as { allowed: boolean }).allowed, true);
  const no = await post(h, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review('delete', 'configmaps'), USER_TOKEN);
  assert.equal((no.body['status'] as { allowed: boolean }).allowed, false);
  const whoami = await post(h, '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  assert.deepEqual((whoami.body['status'] as { userInfo: unknown }).userInfo, { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
});
