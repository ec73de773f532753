import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { ApiError, type ApiClient } from '../../../src/client/types.js';
import { DeploymentController } from '../../../src/controllers/deployment.js';
import { DisruptionController } from '../../../src/controllers/disruption.js';
import { ReplicaSetController } from '../../../src/controllers/replicaset.js';
import { waitFor } from '../../helpers/index.js';
import { setPodReady, startControllers } from './harness.js';

const RS = { group: 'apps', version: 'v1', resource: 'replicasets', namespace: 'default' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };
const PDBS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespace: 'default' };

interface PdbStatus {
  observedGeneration?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  expectedPods?: number;
  disruptionsAllowed?: number;
  disruptedPods?: Record<string, string>;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

function template(app: string): Record<string, unknown> {
  return { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

function pdb(name: string, app: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app } }, ...spec } };
}

async function readyPods(client: ApiClient, app: string, n: number): Promise<KubeObject[]> {
  const pods = await waitFor(`${n} pods of ${app}`, async () => {
    const items = (await client.list(PODS, { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return items.length === n ? items : undefined;
  }, 15_000);
  for (const p of pods) await setPodReady(client, p, true);
  return pods;
}

async function statusIs(client: ApiClient, name: string, want: (s: PdbStatus) => boolean): Promise<PdbStatus> {
  let last: PdbStatus = {};
  return waitFor(`pdb ${name} status`, async () => {
    last = ((await client.get(PDBS, name)).status ?? {}) as PdbStatus;
    return want(last) ? last : undefined;
  }, 15_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(last)}`);
  });
}

function evict(client: ApiClient, pod: KubeObject): Promise<KubeObject> {
  const name = pod.metadata?.name ?? '';
  return client.create(PODS, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } }, { subresource: 'eviction', name });
}

describe('disruption controller and the eviction subresource', () => {
  test('minAvailable as an integer: status counts ready pods; evictions take the allowed disruptions and then get 429', async (t) => {
    const client = await startControllers(t, () => [new ReplicaSetController(), new DisruptionController()]);
    await client.create(RS, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template('web') } });
    const pods = await readyPods(client, 'web', 3);
    await client.create(PDBS, pdb('web-pdb', 'web', { minAvailable: 2 }));
    const status = await statusIs(client, 'web-pdb', (s) => s.currentHealthy === 3);
    assert.equal(status.observedGeneration, 1);
    assert.equal(status.desiredHealthy, 2);
    assert.equal(status.expectedPods, 3);
    assert.equal(status.disruptionsAllowed, 1);
    assert.deepEqual(status.conditions?.map((c) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'True', 'SufficientPods']]);

    await evict(client, pods[0]!);
    // The next eviction comes before the replacement is ready: the budget has nothing left.
    const refused = await evict(client, pods[1]!).then(() => undefined, (err: unknown) => err);
    assert.ok(refused instanceof ApiError, `refused: ${String(refused)}`);
    assert.equal(refused.code, 429);
    assert.equal(refused.reason, 'TooManyRequests');
    assert.equal(refused.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.match(refused.status.details?.causes?.[0]?.message ?? '', /^The disruption budget web-pdb needs 2 healthy pods and has \d currently$/);
    assert.equal(refused.status.details?.causes?.[0]?.reason, 'DisruptionBudget');
    await client.get(PODS, pods[1]!.metadata?.name ?? '');

    // The replacement becomes ready: one disruption is allowed again and the eviction goes through.
    const replacement = await waitFor('replacement pod', async () => (await client.list(PODS, { labelSelector: 'app=web' })).items.find((p) => !pods.some((o) => o.metadata?.name === p.metadata?.name)), 15_000);
    await setPodReady(client, replacement, true);
    await statusIs(client, 'web-pdb', (s) => s.disruptionsAllowed === 1 && s.currentHealthy === 3 && s.disruptedPods === undefined);
    await evict(client, pods[1]!);
    await assert.rejects(client.get(PODS, pods[1]!.metadata?.name ?? ''), (err: unknown) => err instanceof ApiError && err.code === 404);
    const after = await statusIs(client, 'web-pdb', (s) => s.disruptionsAllowed === 0);
    assert.deepEqual(after.conditions?.map((c) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'False', 'InsufficientPods']]);
    // Level-triggered without churn: once settled, the controller writes nothing.
    await new Promise((r) => setTimeout(r, 1000));
    const rv = (await client.get(PDBS, 'web-pdb')).metadata?.resourceVersion;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await client.get(PDBS, 'web-pdb')).metadata?.resourceVersion, rv, 'no status rewrites when nothing changed');
  });

  test('maxUnavailable and percentages use the scale of the Deployment; unmanaged pods make a percentage fail safe', async (t) => {
    const client = await startControllers(t, () => [new DeploymentController(), new ReplicaSetController(), new DisruptionController()]);
    await client.create(DEPLOYMENTS, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api' }, spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template: template('api') } });
    const pods = await readyPods(client, 'api', 4);
    await setPodReady(client, pods[0]!, false);
    await client.create(PDBS, pdb('api-max', 'api', { maxUnavailable: '50%' }));
    const max = await statusIs(client, 'api-max', (s) => s.expectedPods === 4 && s.currentHealthy === 3);
    assert.equal(max.desiredHealthy, 2);
    assert.equal(max.disruptionsAllowed, 1);

    // A not-ready pod is not protected while the budget is met (IfHealthyBudget), and takes no disruption.
    await client.create(PDBS, pdb('api-min', 'api-other', { minAvailable: '75%' }));
    await evict(client, pods[0]!);
    const unchanged = await statusIs(client, 'api-max', (s) => s.disruptedPods === undefined);
    assert.ok((unchanged.disruptionsAllowed ?? 0) <= 1);

    // Scaling the Deployment changes expectedPods.
    await client.patch(DEPLOYMENTS, 'api', 'merge', { spec: { replicas: 6 } });
    await statusIs(client, 'api-max', (s) => s.expectedPods === 6 && s.desiredHealthy === 3);

    // A bare pod under a percentage budget: it counts for no scale, and users are told so.
    await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loner', labels: { app: 'api-other' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await setPodReady(client, await client.get(PODS, 'loner'), true);
    const unmanaged = await statusIs(client, 'api-min', (s) => s.currentHealthy === 1);
    assert.equal(unmanaged.expectedPods, 0);
    assert.equal(unmanaged.disruptionsAllowed, 0);
    const events = await client.list({ group: '', version: 'v1', resource: 'events', namespace: 'default' }, { fieldSelector: 'involvedObject.name=api-min' });
    assert.ok(events.items.some((e) => e['reason'] === 'UnmanagedPods'), JSON.stringify(events.items.map((e) => e['reason'])));

    // A pod whose controller has no scale this controller knows: the budget fails safe.
    await client.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'job-pod', labels: { app: 'api-other' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'gone', uid: '0b0e5c1e-0000-4000-8000-000000000001', controller: true }] },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const failed = await statusIs(client, 'api-min', (s) => s.conditions?.[0]?.reason === 'SyncFailed');
    assert.equal(failed.disruptionsAllowed, 0);
    assert.equal(failed.conditions?.[0]?.status, 'False');
    assert.equal(failed.conditions?.[0]?.message, 'found no controllers for pod "job-pod"');
  });

  test('a pod under two budgets cannot be evicted; pending pods are never protected', async (t) => {
    const client = await startControllers(t, () => [new DisruptionController()]);
    await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', labels: { app: 'two' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', labels: { app: 'two' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const p1 = await client.get(PODS, 'p1');
    await setPodReady(client, p1, true);
    await client.create(PDBS, pdb('a', 'two', { minAvailable: 0 }));
    await client.create(PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b' }, spec: { selector: {}, maxUnavailable: 0 } });
    await statusIs(client, 'b', (s) => s.observedGeneration === 1);
    const err = await evict(client, p1).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ApiError && err.code === 500, String(err));
    assert.equal(err.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    await evict(client, await client.get(PODS, 'pending'));
    await assert.rejects(client.get(PODS, 'pending'), (e: unknown) => e instanceof ApiError && e.code === 404);
  });
  test('concurrent evictions never overrun the budget: exactly disruptionsAllowed succeed, the rest get 429', async (t) => {
    const client = await startControllers(t, () => [new DisruptionController()]);
    const pods: KubeObject[] = [];
    for (let i = 0; i < 20; i++) {
      const p = await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `burst-${i}`, labels: { app: 'burst' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      await setPodReady(client, p, true);
      pods.push(p);
    }
    await client.create(PDBS, pdb('burst', 'burst', { minAvailable: 10 }));
    await statusIs(client, 'burst', (s) => s.disruptionsAllowed === 10);
    const results = await Promise.allSettled(pods.slice(0, 15).map((p) => evict(client, p)));
    const codes = results.map((r) => (r.status === 'fulfilled' ? 201 : r.reason instanceof ApiError ? r.reason.code : String(r.reason)));
    assert.equal(codes.filter((c) => c === 201).length, 10, JSON.stringify(codes));
    assert.equal(codes.filter((c) => c === 429).length, 5, JSON.stringify(codes));
    await statusIs(client, 'burst', (s) => s.currentHealthy === 10 && s.disruptionsAllowed === 0);
  });
});
