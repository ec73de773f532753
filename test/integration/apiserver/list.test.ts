/**
 * LIST semantics: paging with continue tokens stays on its snapshot while writes happen,
 * resourceVersionMatch=Exact reads the past, deletecollection honours selectors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness, type Harness } from './harness.js';

const CM = '/api/v1/namespaces/default/configmaps';
const json = { 'Content-Type': 'application/json' };

interface List {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: { metadata: { name: string } }[];
}

async function create(h: Harness, name: string, labels: Record<string, string> = {}): Promise<void> {
  const r = await h.request('POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels } }), headers: json });
  assert.equal(r.status, 201, r.text);
}

test('continue tokens page through one snapshot even while objects change', async (t) => {
  const h = await startHarness(t);
  for (let i = 0; i < 7; i++) await create(h, `c${i}`);
  const first = (await h.request('GET', `${CM}?limit=3`)).json() as List;
  assert.deepEqual(first.items.map((i) => i.metadata.name), ['c0', 'c1', 'c2']);
  assert.equal(first.metadata.remainingItemCount, 4);
  assert.ok(first.metadata.continue);
  // Changes after the first page must not show up in the later pages of this list.
  await h.request('DELETE', `${CM}/c4`);
  await create(h, 'c3a');
  const second = (await h.request('GET', `${CM}?limit=3&continue=${encodeURIComponent(first.metadata.continue!)}`)).json() as List;
  assert.deepEqual(second.items.map((i) => i.metadata.name), ['c3', 'c4', 'c5']);
  assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
  const third = (await h.request('GET', `${CM}?limit=3&continue=${encodeURIComponent(second.metadata.continue!)}`)).json() as List;
  assert.deepEqual(third.items.map((i) => i.metadata.name), ['c6']);
  assert.equal(third.metadata.continue, undefined);
  const bad = await h.request('GET', `${CM}?limit=3&continue=garbage`);
  assert.equal(bad.status, 400);
});

test('resourceVersionMatch=Exact lists the past; NotOlderThan and 0 serve the present', async (t) => {
  const h = await startHarness(t);
  await create(h, 'a');
  const then = ((await h.request('GET', CM)).json() as List).metadata.resourceVersion;
  await create(h, 'b');
  const past = (await h.request('GET', `${CM}?resourceVersion=${then}&resourceVersionMatch=Exact`)).json() as List;
  assert.deepEqual(past.items.map((i) => i.metadata.name), ['a']);
  assert.equal(past.metadata.resourceVersion, then);
  const now = (await h.request('GET', `${CM}?resourceVersion=${then}&resourceVersionMatch=NotOlderThan`)).json() as List;
  assert.deepEqual(now.items.map((i) => i.metadata.name), ['a', 'b']);
  const any = (await h.request('GET', `${CM}?resourceVersion=0`)).json() as List;
  assert.equal(any.items.length, 2);
  const invalid = await h.request('GET', `${CM}?resourceVersionMatch=Exact`);
  assert.equal(invalid.status, 400);
});

test('DELETE on a collection deletes what the selectors pick and answers the deleted list', async (t) => {
  const h = await startHarness(t);
  await create(h, 'keep', { role: 'keep' });
  await create(h, 'drop1', { role: 'drop' });
  await create(h, 'drop2', { role: 'drop' });
  const r = await h.request('DELETE', `${CM}?labelSelector=role%3Ddrop`);
  assert.equal(r.status, 200, r.text);
  const body = r.json() as { kind: string; items: { metadata: { name: string } }[] };
  assert.equal(body.kind, 'ConfigMapList');
  assert.deepEqual(body.items.map((i) => i.metadata.name).sort(), ['drop1', 'drop2']);
  const left = (await h.request('GET', CM)).json() as List;
  assert.deepEqual(left.items.map((i) => i.metadata.name), ['keep']);
  const namespaces = await h.request('DELETE', '/api/v1/namespaces');
  assert.equal(namespaces.status, 405, 'namespaces do not support deletecollection');
});
