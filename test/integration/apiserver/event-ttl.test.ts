import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { ApiError, type WatchEvent } from '../../../src/client/types.js';
import { waitFor } from '../../helpers/index.js';
import { startHarness } from './harness.js';

const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: 'default' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' };

function event(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Test', message: 'hello', type: 'Normal', count: 1 };
}

test('events expire after the event TTL (watchers see DELETED), a write renews them, other kinds never expire', { timeout: 60_000 }, async (t) => {
  const harness = await startHarness(t, { eventTtlSeconds: 3 });
  const client = harness.server.loopback();
  await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stays' } });
  const seen: WatchEvent[] = [];
  const ac = new AbortController();
  t.after(() => ac.abort());
  const list = await client.list(EVENTS);
  void client.watch(EVENTS, { resourceVersion: list.metadata.resourceVersion ?? '0' }, (e) => seen.push(e), ac.signal).catch(() => undefined);

  const t0 = Date.now();
  await client.create(EVENTS, event('quiet'));
  await client.create(EVENTS, event('busy'));
  // Keep "busy" written: each write carries a fresh lease.
  const renew = setInterval(() => void client.patch(EVENTS, 'busy', 'merge', { count: Math.floor((Date.now() - t0) / 500) + 1 }).catch(() => undefined), 500);
  t.after(() => clearInterval(renew));

  await waitFor('quiet expired', async () => client.get(EVENTS, 'quiet').then(() => false, (err: unknown) => err instanceof ApiError && err.code === 404), 20_000, 250);
  const lived = Date.now() - t0;
  assert.ok(lived >= 3000, `lived ${lived} ms, at least the TTL`);
  await waitFor('DELETED seen by the watch', () => seen.some((e) => e.type === 'DELETED' && e.object.metadata?.name === 'quiet'), 5_000);
  assert.ok((await client.get(EVENTS, 'busy')).metadata?.name, 'a renewed event is still there');
  clearInterval(renew);
  await waitFor('busy expired once left alone', async () => client.get(EVENTS, 'busy').then(() => false, (err: unknown) => err instanceof ApiError && err.code === 404), 20_000, 250);
  assert.equal((await client.get(CONFIGMAPS, 'stays')).metadata?.name, 'stays');
});
