import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Catalogue } from '../../../../src/api/index.js';
import { defs } from '../../../../src/api/schema/dsl.js';
import { jsonFields, patchMetaOf, refsOf, schemaTypes, typeDef } from '../../../../src/api/schema/index.js';

test('every served kind and list kind has a declared schema, and no reference dangles', () => {
  const types = schemaTypes();
  const dangling: string[] = [];
  for (const type of types.values()) {
    for (const field of type.fields) for (const ref of refsOf(field.type)) if (!types.has(ref)) dangling.push(`${type.definition}.${field.name} -> ${ref}`);
  }
  assert.deepEqual(dangling, []);
  const missing: string[] = [];
  for (const info of new Catalogue().all()) {
    if (!typeDef(info.definition)) missing.push(info.definition);
    if (info.verbs.includes('list') && !typeDef(info.definition.replace(/[^.]+$/, info.listKind))) missing.push(`${info.listKind} of ${info.kind}`);
  }
  assert.deepEqual(missing, []);
});

test('protobuf field numbers are unique within each type', () => {
  const clashes: string[] = [];
  for (const type of schemaTypes().values()) {
    const seen = new Set<number>();
    for (const field of type.fields) {
      if (field.number === undefined) continue;
      if (seen.has(field.number)) clashes.push(`${type.definition} #${field.number}`);
      seen.add(field.number);
    }
  }
  assert.deepEqual(clashes, []);
});

test('kinds carry apiVersion and kind; inline structs are flattened into their parent', () => {
  const deployment = jsonFields(typeDef('io.k8s.api.apps.v1.Deployment')!);
  assert.deepEqual([...deployment.keys()], ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  // core/v1 Volume embeds VolumeSource: configMap, secret, emptyDir are Volume's own fields in JSON.
  const volume = jsonFields(typeDef('io.k8s.api.core.v1.Volume')!);
  assert.ok(volume.has('name') && volume.has('configMap') && volume.has('emptyDir') && volume.has('persistentVolumeClaim'));
  assert.ok(!volume.has(''));
});

test('the pod template carries upstream merge keys for containers, ports, env, volumes and mounts', () => {
  const spec = patchMetaOf('io.k8s.api.apps.v1.Deployment').field('spec').field('template').field('spec');
  assert.equal(spec.field('containers').mergeKey, 'name');
  assert.equal(spec.field('containers').strategy, 'merge');
  assert.equal(spec.field('containers').listType, 'map');
  assert.equal(spec.field('volumes').strategy, 'merge,retainKeys');
  const container = spec.field('containers').items();
  assert.equal(container.field('ports').mergeKey, 'containerPort');
  assert.deepEqual(container.field('ports').listMapKeys, ['containerPort', 'protocol']);
  assert.equal(container.field('env').mergeKey, 'name');
  assert.equal(container.field('volumeMounts').mergeKey, 'mountPath');
  assert.equal(container.field('args').strategy, undefined, 'plain lists replace');
  assert.equal(patchMetaOf('io.k8s.api.apps.v1.Deployment').field('spec').field('strategy').strategy, 'retainKeys');
});

test('metadata lists and maps have their apply semantics; unknown positions have none', () => {
  const meta = patchMetaOf('io.k8s.api.core.v1.ConfigMap').field('metadata');
  assert.equal(meta.field('ownerReferences').mergeKey, 'uid');
  assert.equal(meta.field('finalizers').listType, 'set');
  assert.equal(meta.field('labels').field('app').mergeKey, undefined);
  assert.equal(patchMetaOf('io.k8s.api.apps.v1.Deployment').field('spec').field('selector').mapType, 'atomic');
  const nowhere = patchMetaOf('io.k8s.api.core.v1.ConfigMap').field('nope').field('deeper');
  assert.equal(nowhere.mergeKey, undefined);
  assert.equal(patchMetaOf('example.com.v1.Widget').field('spec').strategy, undefined);
});

test('service ports merge by port and apply keys them by port and protocol', () => {
  const ports = patchMetaOf('io.k8s.api.core.v1.Service').field('spec').field('ports');
  assert.equal(ports.mergeKey, 'port');
  assert.deepEqual(ports.listMapKeys, ['port', 'protocol']);
});

test('a schema typo fails loudly with the package and line', () => {
  assert.throws(() => defs('x.y', '\nThing\n  name one string\n'), /schema x\.y line 2: bad field number "one"/);
  assert.throws(() => defs('x.y', '\nThing\n  name 1 []str-ing\n'), /bad type "str-ing"/);
  assert.throws(() => defs('x.y', '\nThing\n  name 1 string !!\n'), /unknown field flag "!!"/);
  assert.throws(() => defs('x.y', '\n  name 1 string\n'), /field before any type/);
});
