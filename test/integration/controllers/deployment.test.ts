import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { DeploymentController } from '../../../src/controllers/deployment.js';
import { ReplicaSetController } from '../../../src/controllers/replicaset.js';
import { waitFor } from '../../helpers/index.js';
import { setPodReady, startControllers } from './harness.js';

const DEPLOY = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default' };
const RS = { group: 'apps', version: 'v1', resource: 'replicasets', namespace: 'default' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };

function deployment(name: string, replicas: number, image: string, strategy?: unknown): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...(strategy ? { strategy } : {}),
    },
  };
}

/** Plays the kubelet: every pod that exists becomes Running and Ready shortly after. */
function fakeKubelet(t: { after(fn: () => unknown): void }, client: ApiClient): { maxPods: () => number } {
  let max = 0;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const pods = (await client.list(PODS)).items.filter((p) => !p.metadata?.deletionTimestamp);
      max = Math.max(max, pods.length);
      for (const p of pods) {
        const ready = ((p.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
        if (!ready) await setPodReady(client, p, true).catch(() => undefined);
      }
      // Deleted pods go away at once (grace period handled by the real kubelet).
    } finally {
      busy = false;
    }
  }, 30);
  t.after(() => clearInterval(timer));
  return { maxPods: () => max };
}

function rolledOut(d: KubeObject): boolean {
  const s = (d.status ?? {}) as { observedGeneration?: number; updatedReplicas?: number; replicas?: number; availableReplicas?: number; conditions?: { type: string; reason: string }[] };
  const replicas = (d.spec as { replicas: number }).replicas;
  return (
    (d.metadata?.generation ?? 0) <= (s.observedGeneration ?? 0) &&
    (s.updatedReplicas ?? 0) >= replicas &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0) &&
    (s.conditions ?? []).some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable')
  );
}

describe('deployment controller', () => {
  test('rolls out, rolls a new image within maxSurge, keeps revisions, and undo brings the old set back', { timeout: 60_000 }, async (t) => {
    const client = await startControllers(t, () => [new DeploymentController(), new ReplicaSetController()]);
    const kubelet = fakeKubelet(t, client);
    await client.create(DEPLOY, deployment('web', 4, 'busybox:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
    const first = await waitFor('first rollout', async () => {
      const d = await client.get(DEPLOY, 'web');
      return rolledOut(d) ? d : undefined;
    }, 20_000);
    const conditions = (first.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions;
    assert.deepEqual(conditions.find((c) => c.type === 'Available'), { ...conditions.find((c) => c.type === 'Available'), status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    assert.equal(first.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
    const sets1 = (await client.list(RS)).items;
    assert.equal(sets1.length, 1);
    const rs1 = sets1[0]!;
    assert.match(rs1.metadata?.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const hash = rs1.metadata?.labels?.['pod-template-hash'];
    assert.ok(hash && (rs1.metadata?.name ?? '').endsWith(hash));

    await client.patch(DEPLOY, 'web', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    const second = await waitFor('second rollout', async () => {
      const d = await client.get(DEPLOY, 'web');
      return rolledOut(d) && d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2' ? d : undefined;
    }, 30_000);
    assert.ok(second);
    assert.ok(kubelet.maxPods() <= 5, `never more than replicas + maxSurge pods (saw ${kubelet.maxPods()})`);
    const sets2 = (await client.list(RS)).items;
    assert.equal(sets2.length, 2);
    const old = sets2.find((rs) => rs.metadata?.name === rs1.metadata?.name)!;
    assert.equal((old.spec as { replicas: number }).replicas, 0);
    const pods = (await client.list(PODS)).items.filter((p) => !p.metadata?.deletionTimestamp);
    assert.equal(pods.length, 4);
    assert.ok(pods.every((p) => ((p.spec as { containers: { image: string }[] }).containers[0]!.image) === 'busybox:2'));

    // kubectl rollout undo: the deployment's template becomes the old set's (minus the hash label).
    const template = structuredClone((old.spec as { template: { metadata: { labels: Record<string, string> } } }).template);
    delete template.metadata.labels['pod-template-hash'];
    await client.patch(DEPLOY, 'web', 'merge', { spec: { template } });
    await waitFor('undo rollout', async () => {
      const d = await client.get(DEPLOY, 'web');
      return rolledOut(d) && d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '3' ? d : undefined;
    }, 30_000);
    const back = await client.get(RS, rs1.metadata?.name ?? '');
    assert.equal(back.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(back.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal((await client.list(RS)).items.length, 2, 'no third set for an old template');
  });

  test('Recreate removes every old pod before creating new ones; scaling a paused deployment', { timeout: 60_000 }, async (t) => {
    const client = await startControllers(t, () => [new DeploymentController(), new ReplicaSetController()]);
    fakeKubelet(t, client);
    await client.create(DEPLOY, deployment('db', 2, 'busybox:1', { type: 'Recreate' }));
    await waitFor('first rollout', async () => rolledOut(await client.get(DEPLOY, 'db')), 20_000);
    const seenMixed = { value: false };
    const watcher = setInterval(async () => {
      const images = new Set((await client.list(PODS)).items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => (p.spec as { containers: { image: string }[] }).containers[0]!.image));
      if (images.size > 1) seenMixed.value = true;
    }, 10);
    t.after(() => clearInterval(watcher));
    await client.patch(DEPLOY, 'db', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    await waitFor('recreate rollout', async () => {
      const d = await client.get(DEPLOY, 'db');
      return rolledOut(d) && d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2';
    }, 30_000);
    assert.equal(seenMixed.value, false, 'old and new pods never ran together');

    await client.patch(DEPLOY, 'db', 'merge', { spec: { paused: true, replicas: 3 } });
    await waitFor('3 pods while paused', async () => (await client.list(PODS)).items.filter((p) => !p.metadata?.deletionTimestamp).length === 3, 20_000);
    const paused = await waitFor('paused condition', async () => {
      const d = await client.get(DEPLOY, 'db');
      return ((d.status as { conditions?: { type: string; reason: string }[] }).conditions ?? []).find((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused');
    });
    assert.ok(paused);
  });
});
