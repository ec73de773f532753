/**
 * Bad requests get the Status upstream answers (code, reason, message) and store nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness, USER_TOKEN, type Harness } from './harness.js';

const CM = '/api/v1/namespaces/default/configmaps';
const json = { 'Content-Type': 'application/json' };

interface StatusBody {
  kind: string;
  status: string;
  reason: string;
  message: string;
  code: number;
  details?: { name?: string; kind?: string; group?: string; causes?: { field?: string; reason?: string; message?: string }[] };
}

async function status(h: Harness, method: string, path: string, options: Parameters<Harness['request']>[2] = {}): Promise<StatusBody> {
  const r = await h.request(method, path, options);
  const body = r.json() as StatusBody;
  assert.equal(body.kind, 'Status', r.text);
  assert.equal(body.code, r.status);
  return body;
}

async function configMapCount(h: Harness): Promise<number> {
  const r = await h.request('GET', CM);
  return (r.json() as { items: unknown[] }).items.length;
}

test('malformed JSON, malformed YAML and a non-object body are 400 BadRequest and store nothing', async (t) => {
  const h = await startHarness(t);
  const bad = await status(h, 'POST', CM, { body: '{"apiVersion":"v1","kind":"ConfigMap",', headers: json });
  assert.equal(bad.code, 400);
  assert.equal(bad.reason, 'BadRequest');
  assert.match(bad.message, /json parse error/);
  const yaml = await status(h, 'POST', CM, { body: 'kind: ConfigMap\nmetadata: {name: x\n', headers: { 'Content-Type': 'application/yaml' } });
  assert.equal(yaml.code, 400);
  const array = await status(h, 'POST', CM, { body: '[1,2]', headers: json });
  assert.equal(array.code, 400);
  assert.equal(await configMapCount(h), 0);
});

test('wrong kind or apiVersion for the endpoint is 400 with upstream wording', async (t) => {
  const h = await startHarness(t);
  const kind = await status(h, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }), headers: json });
  assert.equal(kind.code, 400);
  assert.match(kind.message, /must be of type ConfigMap/);
  const version = await status(h, 'POST', CM, { body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } }), headers: json });
  assert.equal(version.message, 'the API version in the data (apps/v1) does not match the expected API version (v1)');
  assert.equal(await configMapCount(h), 0);
});

test('a missing name is 422 Invalid with a cause on metadata.name', async (t) => {
  const h = await startHarness(t);
  const s = await status(h, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }), headers: json });
  assert.equal(s.code, 422);
  assert.equal(s.reason, 'Invalid');
  assert.equal(s.details?.kind, 'ConfigMap');
  assert.equal(s.details?.causes?.[0]?.field, 'metadata.name');
  assert.equal(s.details?.causes?.[0]?.reason, 'FieldValueRequired');
  const slash = await status(h, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a/b' } }), headers: json });
  assert.equal(slash.code, 422);
  assert.equal(await configMapCount(h), 0);
});

test('bodies over 3 MiB are 413 RequestEntityTooLarge', async (t) => {
  const h = await startHarness(t);
  const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { k: 'x'.repeat(3 * 1024 * 1024 + 10) } });
  const s = await status(h, 'POST', CM, { body: big, headers: json });
  assert.equal(s.code, 413);
  assert.equal(s.reason, 'RequestEntityTooLarge');
  assert.equal(s.message, 'Request entity too large: limit is 3145728');
  assert.equal(await configMapCount(h), 0);
});

test('creating in a namespace that does not exist is 404 for the namespace', async (t) => {
  const h = await startHarness(t);
  const s = await status(h, 'POST', '/api/v1/namespaces/nope/configmaps', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), headers: json });
  assert.equal(s.code, 404);
  assert.equal(s.message, 'namespaces "nope" not found');
  assert.deepEqual(s.details, { name: 'nope', kind: 'namespaces' });
});

test('AlreadyExists, stale resourceVersion Conflict, and NotFound read as upstream', async (t) => {
  const h = await startHarness(t);
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } });
  const created = await h.request('POST', CM, { body, headers: json });
  assert.equal(created.status, 201);
  const rv = (created.json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const again = await status(h, 'POST', CM, { body, headers: json });
  assert.equal(again.code, 409);
  assert.equal(again.reason, 'AlreadyExists');
  assert.equal(again.message, 'configmaps "x" already exists');
  const update = (data: string, version: string): string => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', resourceVersion: version }, data: { a: data } });
  assert.equal((await h.request('PUT', `${CM}/x`, { body: update('2', rv), headers: json })).status, 200);
  const stale = await status(h, 'PUT', `${CM}/x`, { body: update('3', rv), headers: json });
  assert.equal(stale.code, 409);
  assert.equal(stale.reason, 'Conflict');
  assert.equal(stale.message, 'Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your changes to the latest version and try again');
  const stored = (await h.request('GET', `${CM}/x`)).json() as { data: { a: string } };
  assert.equal(stored.data.a, '2');
  const missing = await status(h, 'GET', '/apis/apps/v1/namespaces/default/deployments/nope');
  assert.equal(missing.message, 'deployments.apps "nope" not found');
  assert.deepEqual(missing.details, { name: 'nope', group: 'apps', kind: 'deployments' });
});

test('no credentials is 401 except for /version and health; a denied user is 403 with upstream wording', async (t) => {
  const h = await startHarness(t);
  const anon = await status(h, 'GET', CM, { token: null });
  assert.equal(anon.code, 401);
  assert.equal(anon.reason, 'Unauthorized');
  assert.equal((await h.request('GET', '/version', { token: null })).status, 200);
  assert.equal((await h.request('GET', '/readyz', { token: null })).text, 'ok');
  const bad = await status(h, 'GET', CM, { token: 'not-a-token' });
  assert.equal(bad.code, 401);
  const denied = await status(h, 'POST', CM, { token: USER_TOKEN, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), headers: json });
  assert.equal(denied.code, 403);
  assert.equal(denied.message, 'configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "default"');
  const cluster = await status(h, 'GET', '/api/v1/nodes', { token: USER_TOKEN });
  assert.equal(cluster.message, 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope');
  assert.equal((await h.request('GET', CM, { token: USER_TOKEN })).status, 200);
});

test('unknown content types are 415, unknown paths 404, wrong methods 405', async (t) => {
  const h = await startHarness(t);
  const media = await status(h, 'POST', CM, { body: 'x', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(media.code, 415);
  assert.equal(media.reason, 'UnsupportedMediaType');
  const path = await status(h, 'GET', '/apis/nope.example.com/v1/things');
  assert.equal(path.code, 404);
  assert.equal(path.message, 'the server could not find the requested resource');
  const method = await status(h, 'PUT', CM, { body: '{}', headers: json });
  assert.equal(method.code, 405);
  assert.equal(method.reason, 'MethodNotAllowed');
});

test('dryRun=All validates and answers but stores nothing', async (t) => {
  const h = await startHarness(t);
  const r = await h.request('POST', `${CM}?dryRun=All`, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } }), headers: json });
  assert.equal(r.status, 201);
  assert.equal((r.json() as { metadata: { name: string } }).metadata.name, 'dry');
  assert.equal(await configMapCount(h), 0);
  const bad = await status(h, 'POST', `${CM}?dryRun=Some`, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } }), headers: json });
  assert.equal(bad.code, 400);
});

test('objects over the datastore limit are refused with a Status, not a 500', async (t) => {
  const h = await startHarness(t);
  // A PodTemplate has no size rule of its own; 2 MiB of annotation-free data exceeds the 1.5 MiB store limit.
  const big = JSON.stringify({
    apiVersion: 'v1',
    kind: 'PodTemplate',
    metadata: { name: 'huge' },
    template: { spec: { containers: Array.from({ length: 40 }, (_, i) => ({ name: `c${i}`, image: 'busybox', args: ['x'.repeat(52_000)] })) } },
  });
  const r = await h.request('POST', '/api/v1/namespaces/default/podtemplates', { body: big, headers: json });
  const s = r.json() as StatusBody;
  assert.ok(s.code === 413 || s.code === 422, r.text.slice(0, 300));
  assert.equal((await h.request('GET', '/api/v1/namespaces/default/podtemplates/huge')).status, 404);
});
