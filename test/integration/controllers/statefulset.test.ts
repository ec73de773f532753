import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { GarbageCollector } from '../../../src/controllers/garbage-collector.js';
import { StatefulSetController } from '../../../src/controllers/statefulset.js';
import { waitFor } from '../../helpers/index.js';
import { setPodReady, startControllers } from './harness.js';

const SETS = { group: 'apps', version: 'v1', resource: 'statefulsets', namespace: 'default' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };
const CLAIMS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespace: 'default' };
const REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespace: 'default' };

function statefulSet(name: string, replicas: number, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
      ...spec,
    },
  };
}

async function podNames(client: ApiClient, app: string): Promise<string[]> {
  return (await client.list(PODS, { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '').sort();
}

async function namesAre(client: ApiClient, app: string, names: string[]): Promise<void> {
  await waitFor(`pods ${names.join(',')}`, async () => JSON.stringify(await podNames(client, app)) === JSON.stringify(names) || undefined, 10_000);
}

async function ready(client: ApiClient, name: string): Promise<void> {
  await setPodReady(client, await client.get(PODS, name), true);
}

describe('statefulset controller', () => {
  test('OrderedReady creates <set>-<ordinal> one at a time with stable identity and claims, and scales down from the top', async (t) => {
    const client = await startControllers(t, () => [new StatefulSetController()]);
    const claim = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    const set = await client.create(SETS, statefulSet('web', 3, { volumeClaimTemplates: [claim] }));
    await namesAre(client, 'web', ['web-0']);
    await sleep(300);
    assert.deepEqual(await podNames(client, 'web'), ['web-0'], 'web-1 waits for web-0 to be Running and Ready');
    const pod0 = await client.get(PODS, 'web-0');
    const spec0 = pod0.spec as { hostname?: string; subdomain?: string; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
    assert.equal(spec0.hostname, 'web-0');
    assert.equal(spec0.subdomain, 'web');
    assert.deepEqual(spec0.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: 'data-web-0' });
    assert.equal(pod0.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(pod0.metadata?.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.match(pod0.metadata?.labels?.['controller-revision-hash'] ?? '', /^web-[a-z0-9]+$/);
    assert.equal(pod0.metadata?.ownerReferences?.[0]?.uid, set.metadata?.uid);
    const pvc = await client.get(CLAIMS, 'data-web-0');
    assert.equal(pvc.metadata?.labels?.app, 'web');

    await ready(client, 'web-0');
    await namesAre(client, 'web', ['web-0', 'web-1']);
    await ready(client, 'web-1');
    await namesAre(client, 'web', ['web-0', 'web-1', 'web-2']);
    await ready(client, 'web-2');
    const status = await waitFor('status', async () => {
      const s = (await client.get(SETS, 'web')).status as Record<string, unknown>;
      return s.readyReplicas === 3 && s.availableReplicas === 3 ? s : undefined;
    });
    assert.equal(status.replicas, 3);
    assert.equal(status.currentReplicas, 3);
    assert.equal(status.updatedReplicas, 3);
    assert.equal(status.currentRevision, status.updateRevision);
    assert.equal(status.currentRevision, pod0.metadata?.labels?.['controller-revision-hash']);

    const deleted: string[] = [];
    const ac = new AbortController();
    t.after(() => ac.abort());
    const rv = (await client.list(PODS)).metadata.resourceVersion ?? '';
    void client.watch(PODS, { resourceVersion: rv }, (e) => {
      if (e.type === 'DELETED') deleted.push(e.object.metadata?.name ?? '');
    }, ac.signal).catch(() => undefined);
    await client.patch(SETS, 'web', 'merge', { spec: { replicas: 1 } });
    await namesAre(client, 'web', ['web-0']);
    await waitFor('deletions seen', () => deleted.length === 2 || undefined);
    assert.deepEqual(deleted, ['web-2', 'web-1'], 'highest ordinal first');
    const claims = (await client.list(CLAIMS)).items.map((c) => c.metadata?.name).sort();
    assert.deepEqual(claims, ['data-web-0', 'data-web-1', 'data-web-2'], 'claims are retained by default');
  });

  test('Parallel creates every ordinal at once and keeps their identity labels', async (t) => {
    const client = await startControllers(t, () => [new StatefulSetController()]);
    await client.create(SETS, statefulSet('par', 3, { podManagementPolicy: 'Parallel' }));
    await namesAre(client, 'par', ['par-0', 'par-1', 'par-2']);
    // A pod that loses its identity label gets it back.
    await client.patch(PODS, 'par-1', 'merge', { metadata: { labels: { 'statefulset.kubernetes.io/pod-name': null } } });
    await waitFor('label restored', async () => (await client.get(PODS, 'par-1')).metadata?.labels?.['statefulset.kubernetes.io/pod-name'] === 'par-1' || undefined);
  });

  test('RollingUpdate replaces pods from the highest ordinal down to the partition, recording revisions', async (t) => {
    const client = await startControllers(t, () => [new StatefulSetController()]);
    await client.create(SETS, statefulSet('db', 3, { podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    await namesAre(client, 'db', ['db-0', 'db-1', 'db-2']);
    for (const n of ['db-0', 'db-1', 'db-2']) await ready(client, n);
    const first = await waitFor('ready', async () => {
      const s = (await client.get(SETS, 'db')).status as Record<string, string | number>;
      return s.readyReplicas === 3 ? s : undefined;
    });
    await client.patch(SETS, 'db', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    const image = async (n: string): Promise<string | undefined> => {
      try {
        const p = await client.get(PODS, n);
        return p.metadata?.deletionTimestamp ? undefined : (p.spec as { containers: { image: string }[] }).containers[0]?.image;
      } catch {
        return undefined;
      }
    };
    await waitFor('db-2 updated', async () => (await image('db-2')) === 'busybox:2' || undefined, 10_000);
    assert.equal(await image('db-1'), 'busybox:1', 'db-1 waits for db-2 to be ready');
    await ready(client, 'db-2');
    await waitFor('db-1 updated', async () => (await image('db-1')) === 'busybox:2' || undefined, 10_000);
    await ready(client, 'db-1');
    const status = await waitFor('partitioned status', async () => {
      const s = (await client.get(SETS, 'db')).status as Record<string, string | number>;
      return s.updatedReplicas === 2 && s.readyReplicas === 3 ? s : undefined;
    });
    assert.equal(await image('db-0'), 'busybox:1', 'below the partition stays on the old revision');
    assert.equal(status.currentRevision, first.currentRevision);
    assert.notEqual(status.updateRevision, first.updateRevision);
    assert.equal(status.currentReplicas, 1);
    const revisions = (await client.list(REVISIONS)).items;
    assert.deepEqual(revisions.map((r) => r.revision).sort(), [1, 2]);

    // Partition 0 finishes the rollout and the update revision becomes current.
    await client.patch(SETS, 'db', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    await waitFor('db-0 updated', async () => (await image('db-0')) === 'busybox:2' || undefined, 10_000);
    await ready(client, 'db-0');
    await waitFor('rolled out', async () => {
      const s = (await client.get(SETS, 'db')).status as Record<string, string | number>;
      return s.currentRevision === s.updateRevision && s.currentReplicas === 3 ? s : undefined;
    });
  });

  test('OnDelete only uses the new template for pods the user deletes', async (t) => {
    const client = await startControllers(t, () => [new StatefulSetController()]);
    await client.create(SETS, statefulSet('od', 2, { podManagementPolicy: 'Parallel', updateStrategy: { type: 'OnDelete' } }));
    await namesAre(client, 'od', ['od-0', 'od-1']);
    const before = await client.get(PODS, 'od-1');
    await client.patch(SETS, 'od', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    await waitFor('update revision', async () => {
      const s = (await client.get(SETS, 'od')).status as Record<string, string>;
      return s.updateRevision && s.updateRevision !== s.currentRevision ? s : undefined;
    });
    await sleep(300);
    assert.equal((await client.get(PODS, 'od-1')).metadata?.uid, before.metadata?.uid, 'not replaced on its own');
    await client.delete(PODS, 'od-1');
    const after = await waitFor('od-1 recreated', async () => {
      try {
        const p = await client.get(PODS, 'od-1');
        return p.metadata?.uid !== before.metadata?.uid ? p : undefined;
      } catch {
        return undefined;
      }
    });
    assert.equal((after.spec as { containers: { image: string }[] }).containers[0]?.image, 'busybox:2');
  });

  test('persistentVolumeClaimRetentionPolicy Delete removes the claims of scaled-down ordinals and ties the rest to the set', async (t) => {
    const client = await startControllers(t, () => [new StatefulSetController(), new GarbageCollector()]);
    const claim = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    const set = await client.create(SETS, statefulSet('ret', 2, { podManagementPolicy: 'Parallel', volumeClaimTemplates: [claim], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
    await namesAre(client, 'ret', ['ret-0', 'ret-1']);
    const pvc0 = await waitFor('claim', async () => (await client.list(CLAIMS)).items.find((c) => c.metadata?.name === 'data-ret-0'));
    assert.equal(pvc0.metadata?.ownerReferences?.[0]?.uid, set.metadata?.uid);
    await client.patch(SETS, 'ret', 'merge', { spec: { replicas: 1 } });
    await namesAre(client, 'ret', ['ret-0']);
    await waitFor('data-ret-1 deleted', async () => {
      const names = (await client.list(CLAIMS)).items.map((c) => c.metadata?.name);
      return names.length === 1 && names[0] === 'data-ret-0' ? names : undefined;
    }, 10_000);
  });

  test('spec.ordinals.start numbers the pods from there; minReadySeconds delays availableReplicas', async (t) => {
    const client = await startControllers(t, () => [new StatefulSetController()]);
    await client.create(SETS, statefulSet('ord', 2, { podManagementPolicy: 'Parallel', ordinals: { start: 5 }, minReadySeconds: 1 }));
    await namesAre(client, 'ord', ['ord-5', 'ord-6']);
    assert.equal((await client.get(PODS, 'ord-5')).metadata?.labels?.['apps.kubernetes.io/pod-index'], '5');
    await ready(client, 'ord-5');
    await ready(client, 'ord-6');
    const early = await waitFor('ready', async () => {
      const s = (await client.get(SETS, 'ord')).status as Record<string, number>;
      return s.readyReplicas === 2 ? s : undefined;
    });
    assert.equal(early.availableReplicas ?? 0, 0, 'not yet ready for minReadySeconds');
    await waitFor('available after minReadySeconds', async () => ((await client.get(SETS, 'ord')).status as Record<string, number>).availableReplicas === 2 || undefined, 5000);
  });
});
