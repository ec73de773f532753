/**
 * events.k8s.io/v1 and core v1 Events are one stored object in two shapes: each API reads and
 * writes its own field names, and watches of either see the other's writes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHarness } from './harness.js';

const json = { 'Content-Type': 'application/json' };

test('an event written as core v1 reads as events.k8s.io/v1 and back', async (t) => {
  const h = await startHarness(t);
  const core = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e1' },
    involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
    reason: 'Started',
    message: 'container started',
    type: 'Normal',
    source: { component: 'kubelet', host: 'node-1' },
    count: 2,
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:01:00Z',
  };
  assert.equal((await h.request('POST', '/api/v1/namespaces/default/events', { body: JSON.stringify(core), headers: json })).status, 201);
  const v1 = (await h.request('GET', '/apis/events.k8s.io/v1/namespaces/default/events/e1')).json() as Record<string, unknown>;
  assert.equal(v1['apiVersion'], 'events.k8s.io/v1');
  assert.equal(v1['note'], 'container started');
  assert.deepEqual(v1['regarding'], core.involvedObject);
  assert.equal(v1['reportingController'], 'kubelet');
  assert.equal(v1['deprecatedCount'], 2);
  const list = (await h.request('GET', '/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=reason%3DStarted')).json() as { kind: string; items: { note: string }[] };
  assert.equal(list.kind, 'EventList');
  assert.deepEqual(list.items.map((i) => i.note), ['container started']);

  const written = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'e2' },
    eventTime: '2026-01-01T00:00:00.000000Z',
    reportingController: 'example.com/ctl',
    reportingInstance: 'ctl-1',
    action: 'Reconcile',
    reason: 'Synced',
    regarding: { kind: 'ConfigMap', name: 'c', namespace: 'default' },
    note: 'all good',
    type: 'Normal',
  };
  const created = await h.request('POST', '/apis/events.k8s.io/v1/namespaces/default/events', { body: JSON.stringify(written), headers: json });
  assert.equal(created.status, 201, created.text);
  const asCore = (await h.request('GET', '/api/v1/namespaces/default/events/e2')).json() as Record<string, unknown>;
  assert.equal(asCore['message'], 'all good');
  assert.equal(asCore['reportingComponent'], 'example.com/ctl');
  assert.deepEqual(asCore['involvedObject'], written.regarding);
  const patched = await h.request('PATCH', '/apis/events.k8s.io/v1/namespaces/default/events/e2', { body: '{"note":"changed"}', headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(((await h.request('GET', '/api/v1/namespaces/default/events/e2')).json() as { message: string }).message, 'changed');
  assert.equal((await h.request('DELETE', '/apis/events.k8s.io/v1/namespaces/default/events/e2')).status, 200);
  assert.equal((await h.request('GET', '/api/v1/namespaces/default/events/e2')).status, 404);
});
