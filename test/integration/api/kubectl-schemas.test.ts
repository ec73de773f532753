import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { schemaExtensions } from '../../../src/api/index.js';
import { kubectl } from '../../helpers/index.js';
import { startHarness } from '../apiserver/harness.js';

test('the real kubectl against the API server with the schemas: protobuf creates, strategic merge, strict apply, explain', async (t) => {
  const h = await startHarness(t, { extensions: schemaExtensions() });
  const k = async (...args: string[]): Promise<string> => {
    const result = await kubectl(h.kube, args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  // Typed create commands send protobuf.
  await k('create', 'configmap', 'cfg', '--from-literal=a=1');
  assert.equal(await k('get', 'configmap', 'cfg', '-o', 'jsonpath={.data.a}'), '1');
  await k('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=0');
  assert.equal(await k('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'), '0');
  assert.match(await k('auth', 'whoami'), /system:admin/);

  // Strategic merge: containers merge by name instead of replacing the list.
  await k('patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}');
  const names = (await k('get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[*].name}')).split(' ');
  assert.deepEqual(names.sort(), ['nginx', 'sidecar']);
  await k('patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}');
  assert.equal(await k('get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[?(@.name=="nginx")].image}'), 'nginx:1.28');

  // kubectl validates on the server (fieldValidation=Strict): unknown and duplicate fields fail.
  const manifest = join(h.dir, 'bad.yaml');
  writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: b\nspec:\n  foo: 1\n');
  const bad = await kubectl(h.kube, ['apply', '-f', manifest]);
  assert.notEqual(bad.code, 0, bad.stdout);
  assert.match(bad.stderr, /strict decoding error: unknown field "spec"/);
  // kubectl folds duplicate JSON keys itself; a raw client's duplicates reach the server.
  const dupBody = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup"},"data":{"k":"v"},"extra":1}';
  const headers = { 'Content-Type': 'application/json' };
  const strict = await h.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { body: dupBody, headers });
  assert.equal(strict.status, 400);
  assert.match(strict.text, /strict decoding error: unknown field \\"extra\\", duplicate field \\"metadata.name\\"/);
  const warn = await h.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', { body: dupBody, headers });
  assert.equal(warn.status, 201);
  assert.match(String(warn.headers.warning), /299 - "unknown field \\"extra\\""/);
  assert.match(String(warn.headers.warning), /299 - "duplicate field \\"metadata.name\\""/);
  assert.notEqual((await kubectl(h.kube, ['get', 'configmap', 'bad'])).code, 0, 'nothing stored');

  // explain reads the OpenAPI v3 documents.
  const explained = await k('explain', 'deployment.spec.template');
  assert.match(explained, /FIELD: template <PodTemplateSpec>/);
  assert.match(explained, /spec\s+<PodSpec>/);
  assert.doesNotMatch(explained, /apiVersion/);
  assert.match(await k('explain', 'pods.spec.containers'), /name\s+<string> -required-/);

  // Server-side apply keys containers by name and ports by containerPort+protocol from the schema.
  const ssa = join(h.dir, 'ssa.yaml');
  const deployment = (image: string, port: number): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: ssa}\n  template:\n    metadata:\n      labels: {app: ssa}\n    spec:\n      containers:\n      - name: app\n        image: ${image}\n        ports:\n        - containerPort: ${port}\n`;
  writeFileSync(ssa, deployment('nginx:1', 80));
  await k('apply', '--server-side', '-f', ssa);
  writeFileSync(ssa, deployment('nginx:2', 8080));
  await k('apply', '--server-side', '-f', ssa);
  assert.equal(await k('get', 'deployment', 'ssa', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[*].containerPort}'), 'nginx:2 8080');
  // Another manager changing a field this one applied is a conflict naming the field by key.
  writeFileSync(join(h.dir, 'other.yaml'), deployment('nginx:3', 8080));
  const clash = await kubectl(h.kube, ['apply', '--server-side', '--field-manager=other', '-f', join(h.dir, 'other.yaml')]);
  assert.notEqual(clash.code, 0, clash.stdout);
  assert.match(clash.stderr, /conflict/i);
  assert.match(clash.stderr, /spec\.template\.spec\.containers\[name="app"\]\.image/);
});

