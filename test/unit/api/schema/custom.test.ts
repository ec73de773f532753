import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Catalogue, schemaExtensions, type ResourceInfo } from '../../../../src/api/index.js';
import { OpenApi } from '../../../../src/api/openapi/index.js';
import { customDefinitionName, patchMetaFromSchema, unknownFieldsBySchema, type StructuralSchema } from '../../../../src/api/schema/index.js';

const SCHEMA: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        image: { type: 'string' },
        values: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        env: { type: 'object', additionalProperties: { type: 'string' } },
        ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'], items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string' } } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } },
      },
    },
  },
};

test('custom resources: unknown fields are what structural pruning would drop', () => {
  const object = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', labels: { a: 'b' }, colour: 'red' },
    spec: {
      image: 'x',
      imagee: 'typo',
      values: { anything: { goes: true } },
      env: { A: '1' },
      ports: [{ port: 80, protocol: 'TCP', extra: 1 }],
      template: { apiVersion: 'v1', kind: 'Thing', metadata: { name: 'inner' }, spec: { a: 'x', b: 'y' } },
    },
    status: { ready: true },
  };
  assert.deepEqual(unknownFieldsBySchema(SCHEMA, object), ['metadata.colour', 'spec.imagee', 'spec.ports[0].extra', 'spec.template.spec.b', 'status']);
});

test('custom resources: apply metadata comes from list-type, list-map-keys and map-type', () => {
  const meta = patchMetaFromSchema(SCHEMA);
  assert.equal(meta.field('spec').field('ports').listType, 'map');
  assert.deepEqual(meta.field('spec').field('ports').listMapKeys, ['port', 'protocol']);
  assert.equal(meta.field('spec').field('env').mapType, 'granular');
  assert.equal(meta.field('spec').field('nope').listType, undefined);
});

test('custom resources appear in OpenAPI and the extensions once a schema is supplied', () => {
  const catalogue = new Catalogue();
  const info: ResourceInfo = {
    group: 'example.com',
    version: 'v1',
    kind: 'Widget',
    listKind: 'WidgetList',
    resource: 'widgets',
    singular: 'widget',
    namespaced: true,
    shortNames: ['wd'],
    categories: [],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [],
    storageResource: 'example.com/widgets',
    hasStatus: false,
    definition: customDefinitionName('example.com', 'v1', 'Widget'),
    bumpsGeneration: true,
  };
  catalogue.add(info);
  assert.equal(info.definition, 'com.example.v1.Widget');
  const customSchema = (gvk: { group: string; kind: string }): StructuralSchema | undefined => (gvk.group === 'example.com' && gvk.kind === 'Widget' ? SCHEMA : undefined);
  const doc = JSON.parse(new OpenApi(catalogue, { customSchema }).v3Document('example.com', 'v1')!.json) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const patch = doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch;
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'example.com', kind: 'Widget', version: 'v1' });
  assert.ok(patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
  assert.ok(doc.components.schemas['com.example.v1.Widget'].properties.spec);
  assert.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  const ext = schemaExtensions(catalogue, { customSchema });
  assert.deepEqual(ext.unknownFields({ group: 'example.com', version: 'v1', kind: 'Widget' }, { spec: { nope: 1 } }), ['spec.nope']);
  assert.equal(ext.patchMeta({ group: 'example.com', version: 'v1', kind: 'Widget' }).field('spec').field('ports').listType, 'map');
  assert.deepEqual(ext.unknownFields({ group: 'apps', version: 'v1', kind: 'Deployment' }, { spec: { nope: 1 } }), ['spec.nope']);
  const v2 = JSON.parse(new OpenApi(catalogue, { customSchema }).v2().json) as { definitions: Record<string, unknown> };
  assert.ok(v2.definitions['com.example.v1.WidgetList']);
  assert.doesNotMatch(JSON.stringify(v2), /#\/components\/schemas/);
});
