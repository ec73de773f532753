import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PatchMeta } from '../../../../src/api/types.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../../../../src/apiserver/patch/index.js';

/** A small hand-built meta for a Pod: containers merge by name, ports by containerPort, env by name. */
function meta(spec: { mergeKey?: string; strategy?: string; fields?: Record<string, PatchMeta>; items?: PatchMeta }): PatchMeta {
  const self: PatchMeta = {
    ...(spec.mergeKey !== undefined ? { mergeKey: spec.mergeKey } : {}),
    ...(spec.strategy !== undefined ? { strategy: spec.strategy } : {}),
    field: (name) => spec.fields?.[name] ?? meta({}),
    items: () => spec.items ?? meta({}),
  };
  return self;
}
const containerMeta = meta({
  fields: {
    ports: meta({ mergeKey: 'containerPort', strategy: 'merge' }),
    env: meta({ mergeKey: 'name', strategy: 'merge' }),
  },
});
const podMeta = meta({
  fields: {
    metadata: meta({ fields: { finalizers: meta({ strategy: 'merge' }) } }),
    spec: meta({ fields: { containers: meta({ mergeKey: 'name', strategy: 'merge', items: containerMeta }) } }),
  },
});

describe('json patch (RFC 6902)', () => {
  const doc = { metadata: { name: 'a', labels: { x: '1' } }, list: [1, 2, 3] };

  test('add, replace, remove, move, copy and test apply in order', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/y', value: '2' },
      { op: 'replace', path: '/metadata/name', value: 'b' },
      { op: 'remove', path: '/list/0' },
      { op: 'add', path: '/list/-', value: 9 },
      { op: 'copy', from: '/metadata/name', path: '/copied' },
      { op: 'move', from: '/copied', path: '/moved' },
      { op: 'test', path: '/moved', value: 'b' },
    ]);
    assert.deepEqual(out, { metadata: { name: 'b', labels: { x: '1', y: '2' } }, list: [2, 3, 9], moved: 'b' });
    assert.deepEqual(doc.list, [1, 2, 3], 'the input is not modified');
  });

  test('escaped pointer tokens address keys with / and ~', () => {
    const out = applyJsonPatch({ a: { 'k/1': 1, 'k~2': 2 } }, [
      { op: 'replace', path: '/a/k~11', value: 10 },
      { op: 'remove', path: '/a/k~02' },
    ]);
    assert.deepEqual(out, { a: { 'k/1': 10 } });
  });

  test('a failing test op or a missing path is a conflict and nothing is applied', () => {
    assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/metadata/name', value: 'zzz' }]), (e: unknown) => e instanceof PatchError && e.kind === 'conflict');
    assert.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }]), (e: unknown) => e instanceof PatchError && e.kind === 'conflict');
    assert.throws(() => applyJsonPatch(doc, [{ op: 'replace', path: '/list/7', value: 1 }]), /out of bounds/);
  });

  test('malformed patches are rejected as malformed', () => {
    for (const bad of [{}, [{ op: 'jump', path: '/a' }], [{ op: 'add', path: '/a' }], [{ op: 'move', path: '/a' }], ['x']]) {
      assert.throws(() => applyJsonPatch(doc, bad), (e: unknown) => e instanceof PatchError && e.kind === 'malformed');
    }
  });
});

describe('merge patch (RFC 7386)', () => {
  test('objects merge recursively, null deletes, lists and scalars replace', () => {
    const out = applyMergePatch({ a: { b: 1, c: 2 }, list: [1, 2], s: 'x' }, { a: { b: null, d: 4 }, list: [3], s: 'y' });
    assert.deepEqual(out, { a: { c: 2, d: 4 }, list: [3], s: 'y' });
  });

  test('a non-object patch replaces the document', () => {
    assert.deepEqual(applyMergePatch({ a: 1 }, [1]), [1]);
  });
});

describe('strategic merge patch', () => {
  const pod = {
    metadata: { name: 'p', labels: { app: 'x' }, finalizers: ['a'] },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 'busybox' },
      ],
    },
  };

  test('containers merge by name: one field changes, the rest is kept', () => {
    const out = applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } }, podMeta) as typeof pod;
    assert.equal(out.spec.containers.length, 2);
    assert.equal(out.spec.containers[0]!.image, 'nginx:2');
    assert.deepEqual(out.spec.containers[0]!.ports, [{ containerPort: 80 }]);
    assert.equal(out.spec.containers[1]!.name, 'side');
  });

  test('merged lists put the patch\'s items in patch order before server-only ones (upstream order), nested lists merge by their own keys', () => {
    const out = applyStrategicMergePatch(
      pod,
      { spec: { containers: [{ name: 'web', ports: [{ containerPort: 443 }], env: [{ name: 'A', value: '2' }] }, { name: 'new', image: 'i' }] } },
      podMeta,
    ) as typeof pod;
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['web', 'new', 'side']);
    assert.deepEqual(out.spec.containers[0]!.ports, [{ containerPort: 443 }, { containerPort: 80 }]);
    assert.deepEqual(out.spec.containers[0]!.env, [{ name: 'A', value: '2' }]);
  });

  test('$patch: delete removes a list element by merge key; $patch: replace replaces the list', () => {
    const deleted = applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'side', $patch: 'delete' }] } }, podMeta) as typeof pod;
    assert.deepEqual(deleted.spec.containers.map((c) => c.name), ['web']);
    const replaced = applyStrategicMergePatch(pod, { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'i' }] } }, podMeta) as typeof pod;
    assert.deepEqual(replaced.spec.containers, [{ name: 'only', image: 'i' }]);
  });

  test('$patch on maps: replace and delete', () => {
    const replaced = applyStrategicMergePatch(pod, { metadata: { labels: { $patch: 'replace', b: '2' } } }, podMeta) as typeof pod;
    assert.deepEqual(replaced.metadata.labels, { b: '2' });
    const deleted = applyStrategicMergePatch(pod, { metadata: { labels: { $patch: 'delete' } } }, podMeta) as typeof pod;
    assert.equal('labels' in deleted.metadata, false);
  });

  test('null deletes a key; lists without merge strategy are replaced', () => {
    const out = applyStrategicMergePatch({ a: 1, b: [1, 2], c: 3 }, { a: null, b: [3] }) as Record<string, unknown>;
    assert.deepEqual(out, { b: [3], c: 3 });
  });

  test('primitive lists with merge strategy union, and $deleteFromPrimitiveList removes', () => {
    const union = applyStrategicMergePatch(pod, { metadata: { finalizers: ['b', 'a'] } }, podMeta) as typeof pod;
    assert.deepEqual(union.metadata.finalizers, ['b', 'a']);
    const removed = applyStrategicMergePatch(union, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, podMeta) as typeof pod;
    assert.deepEqual(removed.metadata.finalizers, ['b']);
  });

  test('$setElementOrder reorders a merged list', () => {
    const out = applyStrategicMergePatch(
      pod,
      { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }], containers: [{ name: 'web', image: 'nginx:3' }] } },
      podMeta,
    ) as typeof pod;
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['side', 'web']);
    assert.equal(out.spec.containers[1]!.image, 'nginx:3');
  });

  test('$retainKeys drops keys not listed', () => {
    const out = applyStrategicMergePatch({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } }, { strategy: { $retainKeys: ['type'], type: 'Recreate' } });
    assert.deepEqual(out, { strategy: { type: 'Recreate' } });
  });

  test('an element missing its merge key is malformed', () => {
    assert.throws(() => applyStrategicMergePatch(pod, { spec: { containers: [{ image: 'x' }] } }, podMeta), (e: unknown) => e instanceof PatchError && e.kind === 'malformed');
    assert.throws(() => applyStrategicMergePatch(pod, [1]), /must be a JSON object/);
  });
});
