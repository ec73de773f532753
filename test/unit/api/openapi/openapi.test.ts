import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Catalogue } from '../../../../src/api/index.js';
import { OpenApi } from '../../../../src/api/openapi/index.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const openapi = new OpenApi(new Catalogue());

test('the v3 index lists every served group/version with a hashed document URL', () => {
  const index = JSON.parse(openapi.v3Index().json) as Json;
  assert.ok(index.paths['api/v1'].serverRelativeURL.startsWith('/openapi/v3/api/v1?hash='));
  assert.ok(index.paths['apis/apps/v1']);
  assert.ok(index.paths['apis/rbac.authorization.k8s.io/v1']);
  const hash = openapi.v3Document('apps', 'v1')!.hash;
  assert.equal(index.paths['apis/apps/v1'].serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${hash}`);
  assert.equal(openapi.v3DocumentByPath('apis/apps/v1'), openapi.v3Document('apps', 'v1'), 'computed once');
  assert.equal(openapi.v3Document('nope', 'v1'), undefined);
});

test('patch operations carry the kind and a fieldValidation parameter, so kubectl validates on the server', () => {
  const doc = JSON.parse(openapi.v3Document('apps', 'v1')!.json) as Json;
  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.equal(item.patch.operationId, 'patchAppsV1NamespacedDeployment');
  assert.ok(item.patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.ok(item.patch.requestBody.content['application/strategic-merge-patch+json']);
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  const core = JSON.parse(openapi.v3Document('', 'v1')!.json) as Json;
  assert.ok(core.paths['/api/v1/namespaces/{name}'].patch.parameters.some((p: Json) => p.name === 'fieldValidation'));
  assert.ok(core.paths['/api/v1/pods'].get, 'list across namespaces');
});

test('definitions carry group-version-kind, required fields and patch extensions', () => {
  const doc = JSON.parse(openapi.v3Document('apps', 'v1')!.json) as Json;
  const schemas = doc.components.schemas;
  assert.deepEqual(schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.deepEqual(schemas['io.k8s.api.apps.v1.DeploymentSpec'].required, ['selector', 'template']);
  const containers = schemas['io.k8s.api.core.v1.PodSpec'].properties.containers;
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.deepEqual(containers.items, { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }], default: {} });
  assert.deepEqual(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
  assert.deepEqual(schemas['io.k8s.api.core.v1.Container'].properties.imagePullPolicy.enum, ['Always', 'IfNotPresent', 'Never']);
  assert.deepEqual(schemas['io.k8s.api.apps.v1.DeploymentStrategy'].properties.type.enum, ['Recreate', 'RollingUpdate']);
  // Every $ref resolves inside the document.
  const missing = new Set<string>();
  JSON.stringify(doc, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string' && !schemas[value.replace('#/components/schemas/', '')]) missing.add(value);
    return value;
  });
  assert.deepEqual([...missing], []);
});

test('the v2 document is swagger 2.0 with every path and resolvable definitions', () => {
  const doc = JSON.parse(openapi.v2().json) as Json;
  assert.equal(doc.swagger, '2.0');
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/configmaps']);
  assert.ok(doc.paths['/apis/batch/v1/namespaces/{namespace}/cronjobs/{name}'].patch.parameters.some((p: Json) => p.name === 'fieldValidation'));
  const missing = new Set<string>();
  JSON.stringify(doc, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string' && !doc.definitions[value.replace('#/definitions/', '')]) missing.add(value);
    return value;
  });
  assert.deepEqual([...missing], []);
  assert.deepEqual(doc.definitions['io.k8s.api.core.v1.ConfigMap']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'ConfigMap', version: 'v1' }]);
});
