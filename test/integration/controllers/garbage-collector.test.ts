import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { isNotFound, type ApiClient } from '../../../src/client/types.js';
import { GarbageCollector } from '../../../src/controllers/garbage-collector.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from './harness.js';

const CM = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' };

async function configMap(client: ApiClient, name: string, owners: KubeObject[] = [], block = false): Promise<KubeObject> {
  return client.create(CM, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata?.name ?? '', uid: o.metadata?.uid ?? '', ...(block ? { blockOwnerDeletion: true } : {}) })) },
  });
}

async function gone(client: ApiClient, name: string): Promise<boolean> {
  try {
    await client.get(CM, name);
    return false;
  } catch (err) {
    return isNotFound(err);
  }
}

describe('garbage collector', () => {
  test('background: dependents of a deleted owner are deleted; a second live owner keeps one', async (t) => {
    const client = await startControllers(t, () => [new GarbageCollector()]);
    const parent = await configMap(client, 'parent');
    const other = await configMap(client, 'other');
    await configMap(client, 'child', [parent]);
    await configMap(client, 'shared', [parent, other]);
    await client.delete(CM, 'parent', { propagationPolicy: 'Background' });
    await waitFor('child deleted', () => gone(client, 'child'), 10_000);
    const shared = await waitFor('dangling reference dropped', async () => {
      const s = await client.get(CM, 'shared');
      return s.metadata?.ownerReferences?.length === 1 ? s : undefined;
    }, 10_000);
    assert.equal(shared.metadata?.ownerReferences?.[0]?.name, 'other');
  });

  test('orphan: the owner goes, the dependents stay without the reference', async (t) => {
    const client = await startControllers(t, () => [new GarbageCollector()]);
    const parent = await configMap(client, 'parent');
    await configMap(client, 'kid', [parent]);
    await client.delete(CM, 'parent', { propagationPolicy: 'Orphan' });
    await waitFor('owner gone', () => gone(client, 'parent'), 10_000);
    const kid = await client.get(CM, 'kid');
    assert.equal(kid.metadata?.ownerReferences, undefined);
  });

  test('foreground: the owner waits, with deletionTimestamp, until blocking dependents are gone', async (t) => {
    const client = await startControllers(t, () => [new GarbageCollector()]);
    const parent = await configMap(client, 'parent');
    const kid = await configMap(client, 'kid', [parent], true);
    await configMap(client, 'grandkid', [kid], true);
    await client.delete(CM, 'parent', { propagationPolicy: 'Foreground' });
    const deleting = await client.get(CM, 'parent');
    assert.ok(deleting.metadata?.deletionTimestamp);
    assert.deepEqual(deleting.metadata?.finalizers, ['foregroundDeletion']);
    await waitFor('the whole chain gone', async () => (await gone(client, 'grandkid')) && (await gone(client, 'kid')) && (await gone(client, 'parent')), 15_000);
  });
});
