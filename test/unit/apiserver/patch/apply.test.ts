import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PatchMeta } from '../../../../src/api/types.js';
import { ApplyConflictError, FieldSet, fieldSetOf, recordUpdate, serverSideApply, defaultFieldManager, type JsonObject } from '../../../../src/apiserver/patch/index.js';

function meta(spec: Partial<Pick<PatchMeta, 'mergeKey' | 'strategy' | 'listType' | 'listMapKeys' | 'mapType'>> & { fields?: Record<string, PatchMeta>; items?: PatchMeta }): PatchMeta {
  const { fields, items, ...rest } = spec;
  return { ...rest, field: (name) => fields?.[name] ?? meta({}), items: () => items ?? meta({}) };
}
const deploymentMeta = meta({
  fields: {
    metadata: meta({ fields: { labels: meta({ mapType: 'granular' }) } }),
    spec: meta({
      fields: {
        template: meta({
          fields: { spec: meta({ fields: { containers: meta({ mergeKey: 'name', strategy: 'merge', items: meta({ fields: { args: meta({}) } }) }) } }) },
        }),
      },
    }),
  },
});
const now = new Date('2026-01-02T03:04:05.678Z');

function deployment(replicas: number, image: string, extra: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { replicas, template: { spec: { containers: [{ name: 'web', image, args: ['a'] }] } }, ...extra },
  };
}

describe('field sets', () => {
  test('list-map items are keyed, atomic lists are owned whole, and FieldsV1 round-trips', () => {
    const set = fieldSetOf(deployment(1, 'nginx'), deploymentMeta);
    const v1 = set.toFieldsV1();
    assert.deepEqual(v1, {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:args': {} } } } },
      },
    });
    const back = FieldSet.fromFieldsV1(v1);
    assert.equal(back.size, set.size);
    for (const p of set.paths()) assert.ok(back.has(p), JSON.stringify(p));
  });
});

describe('server-side apply', () => {
  test('creating by apply records the manager with operation Apply', () => {
    const out = serverSideApply({ live: undefined, applied: deployment(2, 'nginx'), manager: 'kubectl', force: false, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    const mf = (out.metadata as JsonObject).managedFields as JsonObject[];
    assert.equal(mf.length, 1);
    assert.equal(mf[0]!.manager, 'kubectl');
    assert.equal(mf[0]!.operation, 'Apply');
    assert.equal(mf[0]!.time, '2026-01-02T03:04:05Z');
  });

  test('a field owned by another manager with a different value conflicts; force takes it over', () => {
    const live = serverSideApply({ live: undefined, applied: deployment(2, 'nginx'), manager: 'alice', force: false, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    assert.throws(
      () => serverSideApply({ live, applied: deployment(3, 'nginx'), manager: 'bob', force: false, apiVersion: 'apps/v1', meta: deploymentMeta, now }),
      (err: unknown) => err instanceof ApplyConflictError && /conflict with "alice" using apps\/v1: \.spec\.replicas/.test(err.message),
    );
    const forced = serverSideApply({ live, applied: deployment(3, 'nginx'), manager: 'bob', force: true, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    assert.equal((forced.spec as JsonObject).replicas, 3);
    const alice = ((forced.metadata as JsonObject).managedFields as JsonObject[]).find((e) => e.manager === 'alice')!;
    assert.equal(JSON.stringify(alice.fieldsV1).includes('f:replicas'), false, 'alice lost .spec.replicas');
  });

  test('the same value applied by two managers is shared, not a conflict', () => {
    const live = serverSideApply({ live: undefined, applied: deployment(2, 'nginx'), manager: 'alice', force: false, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    const out = serverSideApply({ live, applied: deployment(2, 'nginx'), manager: 'bob', force: false, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    assert.equal(((out.metadata as JsonObject).managedFields as JsonObject[]).length, 2);
  });

  test('a field dropped from the configuration is removed unless another manager owns it', () => {
    const first = serverSideApply({ live: undefined, applied: deployment(2, 'nginx', { paused: true, minReadySeconds: 5 }), manager: 'alice', force: false, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    // bob co-owns minReadySeconds through an update
    const updated = structuredClone(first);
    (updated.spec as JsonObject).minReadySeconds = 6;
    recordUpdate({ old: first, updated, manager: 'bob', apiVersion: 'apps/v1', meta: deploymentMeta, now });
    const second = serverSideApply({ live: updated, applied: deployment(2, 'nginx'), manager: 'alice', force: false, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    const spec = second.spec as JsonObject;
    assert.equal('paused' in spec, false, 'paused was only alice\'s: removed');
    assert.equal(spec.minReadySeconds, 6, 'minReadySeconds is bob\'s: kept');
  });

  test('list-map items merge by key and other items stay', () => {
    const live = deployment(1, 'nginx');
    ((live.spec as JsonObject).template as { spec: { containers: JsonObject[] } }).spec.containers.push({ name: 'side', image: 'busybox' });
    const out = serverSideApply({ live, applied: deployment(1, 'nginx:2'), manager: 'alice', force: true, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    const containers = ((out.spec as JsonObject).template as { spec: { containers: JsonObject[] } }).spec.containers;
    assert.deepEqual(containers.map((c) => [c.name, c.image]), [['web', 'nginx:2'], ['side', 'busybox']]);
  });
});

describe('managed fields for updates', () => {
  test('an update takes ownership of changed fields from the applier', () => {
    const live = serverSideApply({ live: undefined, applied: deployment(2, 'nginx'), manager: 'kubectl', force: false, apiVersion: 'apps/v1', meta: deploymentMeta, now });
    const scaled = structuredClone(live);
    (scaled.spec as JsonObject).replicas = 5;
    recordUpdate({ old: live, updated: scaled, manager: 'kube-controller-manager', apiVersion: 'apps/v1', meta: deploymentMeta, now });
    const entries = (scaled.metadata as JsonObject).managedFields as JsonObject[];
    const kcm = entries.find((e) => e.manager === 'kube-controller-manager')!;
    assert.deepEqual(kcm.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(kcm.operation, 'Update');
    const kubectl = entries.find((e) => e.manager === 'kubectl')!;
    assert.equal(JSON.stringify(kubectl.fieldsV1).includes('f:replicas'), false);
  });

  test('the default field manager is the User-Agent program name', () => {
    assert.equal(defaultFieldManager('kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd'), 'kubectl');
    assert.equal(defaultFieldManager(undefined), 'unknown');
  });
});
