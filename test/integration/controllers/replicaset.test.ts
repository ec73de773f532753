import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { ReplicaSetController } from '../../../src/controllers/replicaset.js';
import { waitFor } from '../../helpers/index.js';
import { setPodReady, startControllers } from './harness.js';

const RS = { group: 'apps', version: 'v1', resource: 'replicasets', namespace: 'default' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };

function replicaSet(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  };
}

async function podsOf(client: ApiClient, app: string): Promise<KubeObject[]> {
  return (await client.list(PODS, { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function countIs(client: ApiClient, app: string, n: number): Promise<KubeObject[]> {
  return waitFor(`${n} pods of ${app}`, async () => {
    const pods = await podsOf(client, app);
    return pods.length === n ? pods : undefined;
  }, 10_000);
}

describe('replicaset controller', () => {
  test('creates the replicas as owned pods and reports readiness in status', async (t) => {
    const client = await startControllers(t, () => [new ReplicaSetController()]);
    const rs = await client.create(RS, replicaSet('web', 3));
    const pods = await countIs(client, 'web', 3);
    for (const p of pods) {
      assert.match(p.metadata?.name ?? '', /^web-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    }
    await setPodReady(client, pods[0]!, true);
    await setPodReady(client, pods[1]!, true);
    const status = await waitFor('status', async () => {
      const s = (await client.get(RS, 'web')).status as Record<string, number>;
      return s.replicas === 3 && s.readyReplicas === 2 && s.availableReplicas === 2 ? s : undefined;
    });
    assert.equal(status.observedGeneration, 1);
    const events = await client.list({ group: '', version: 'v1', resource: 'events', namespace: 'default' }, { fieldSelector: 'involvedObject.name=web' });
    assert.equal(events.items.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
  });

  test('replaces a deleted pod, scales down the not-ready pods first, and adopts matching orphans', async (t) => {
    const client = await startControllers(t, () => [new ReplicaSetController()]);
    await client.create(RS, replicaSet('api', 3));
    const pods = await countIs(client, 'api', 3);
    await setPodReady(client, pods[0]!, true);
    await client.delete(PODS, pods[1]!.metadata?.name ?? '');
    const after = await countIs(client, 'api', 3);
    assert.ok(!after.some((p) => p.metadata?.name === pods[1]!.metadata?.name));

    await client.patch(RS, 'api', 'merge', { spec: { replicas: 1 } });
    const left = await countIs(client, 'api', 1);
    assert.equal(left[0]!.metadata?.name, pods[0]!.metadata?.name, 'the ready pod is kept');

    await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await client.patch(RS, 'api', 'merge', { spec: { replicas: 2 } });
    const two = await countIs(client, 'api', 2);
    const stray = await waitFor('stray adopted', async () => {
      const p = await client.get(PODS, 'stray');
      return p.metadata?.ownerReferences?.length ? p : undefined;
    });
    assert.equal(stray.metadata?.ownerReferences?.[0]?.name, 'api');
    assert.ok(two.some((p) => p.metadata?.name === 'stray'), 'the orphan counts instead of a new pod');
  });
});
