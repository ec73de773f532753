/**
 * Watch semantics over HTTP/1.1 chunked streams and through the loopback client: resuming from a
 * resourceVersion, objects leaving a label selection arrive as DELETED, BOOKMARK only when asked,
 * 410 Expired for versions the cache no longer holds, and timeoutSeconds ending the stream.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { ADMIN_TOKEN, startHarness, type Harness } from './harness.js';

const CM = '/api/v1/namespaces/default/configmaps';
const json = { 'Content-Type': 'application/json' };

interface Event {
  type: string;
  object: { metadata: { name?: string; resourceVersion: string; labels?: Record<string, string> } };
}

/** Collects a watch stream over HTTP/1.1 until it ends (server timeout). */
function watch(h: Harness, query: string): Promise<{ status: number; headers: Record<string, unknown>; events: Event[] }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.url}${CM}?watch=true&${query}`, { ca: readFileSync(join(h.dir, 'tls.crt')), headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, events: text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l) as Event) : [] }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function put(h: Harness, name: string, labels: Record<string, string>): Promise<string> {
  const existing = await h.request('GET', `${CM}/${name}`);
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { t: String(Date.now()) } });
  const r = existing.status === 404 ? await h.request('POST', CM, { body, headers: json }) : await h.request('PUT', `${CM}/${name}`, { body, headers: json });
  return (r.json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

test('a watch resumes after a resourceVersion; objects leaving the selection are DELETED', async (t) => {
  const h = await startHarness(t);
  const rv = await put(h, 'a', { sel: 'yes' });
  const stream = watch(h, `resourceVersion=${rv}&labelSelector=sel%3Dyes&timeoutSeconds=2`);
  await new Promise((r) => setTimeout(r, 300));
  await put(h, 'b', { sel: 'yes' });
  await put(h, 'a', { sel: 'no' });
  await put(h, 'c', { sel: 'no' });
  await h.request('DELETE', `${CM}/b`);
  const { status, headers, events } = await stream;
  assert.equal(status, 200);
  assert.equal(headers['transfer-encoding'], 'chunked');
  assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED b', 'DELETED a', 'DELETED b']);
  // The DELETED for "a" carries its last matching content at the revision it left the selection.
  assert.equal(events[1]!.object.metadata.labels?.['sel'], 'yes');
  assert.ok(Number(events[1]!.object.metadata.resourceVersion) > Number(rv));
});

test('BOOKMARK events come only with allowWatchBookmarks; resourceVersion unset starts with ADDED for all', async (t) => {
  const h = await startHarness(t);
  await put(h, 'x', {});
  const plain = await watch(h, 'timeoutSeconds=1');
  assert.deepEqual(plain.events.map((e) => e.type), ['ADDED']);
  const initial = await watch(h, 'sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=&timeoutSeconds=1');
  assert.deepEqual(initial.events.map((e) => e.type), ['ADDED', 'BOOKMARK']);
});

test('the loopback client lists, watches and writes through the same pipeline', async (t) => {
  const h = await startHarness(t);
  const client = h.server.loopback();
  const ref = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' };
  const created = await client.create<KubeObject>(ref, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lb' }, data: { a: '1' } });
  assert.match(created.metadata!.uid!, /^[0-9a-f-]{36}$/);
  const list = await client.list(ref);
  assert.equal(list.kind, 'ConfigMapList');
  list.items[0]!.metadata!.name = 'mutated-copy';
  assert.equal((await client.list(ref)).items[0]!.metadata!.name, 'lb');
  const seen: string[] = [];
  const controller = new AbortController();
  const done = client.watch(ref, { resourceVersion: list.metadata.resourceVersion! }, (e) => {
    seen.push(`${e.type} ${String(e.object['data'] && (e.object['data'] as { a: string }).a)}`);
    if (seen.length === 2) controller.abort();
  }, controller.signal);
  await client.patch(ref, 'lb', 'merge', { data: { a: '2' } });
  await client.delete(ref, 'lb');
  await done;
  assert.deepEqual(seen, ['MODIFIED 2', 'DELETED 2']);
  await assert.rejects(client.get(ref, 'lb'), (err: { code?: number }) => err.code === 404);
});

test('a watch from a resourceVersion older than the cache window is 410 Expired', async (t) => {
  const h = await startHarness(t);
  // The window starts at the revision the cache loaded; revision 1 predates this server's bootstrap writes only
  // if the cache started later, so force it: ask for a revision below the cache's floor via a compaction-free path.
  const r = await h.request('GET', `${CM}?watch=true&resourceVersion=1&timeoutSeconds=1`);
  assert.equal(r.status, 200, 'revision 1 is inside the window of a fresh server');
  const floor = h.server.cache.revision;
  for (let i = 0; i < 3; i++) await put(h, `w${i}`, {});
  // A cache with a tiny window shows the 410 path.
  const { WatchCache } = await import('../../../src/apiserver/watch-cache.js');
  const small = new WatchCache(h.backend, ['/registry/configmaps/'], { windowSize: 1 });
  await small.start();
  t.after(() => small.stop());
  for (let i = 0; i < 3; i++) await put(h, `v${i}`, {});
  await small.sync();
  assert.throws(() => small.watch('/registry/configmaps/', floor, () => undefined), (err: { code?: number; status?: { reason?: string } }) => err.code === 410 && err.status?.reason === 'Expired');
});
