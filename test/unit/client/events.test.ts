import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventRecorder } from '../../../src/client/events.js';
import { FakeApi } from '../../helpers/fake-api.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', uid: 'u1', resourceVersion: '7' } };

test('records an Event about the object, as kubectl describe reads it', async () => {
  const api = new FakeApi();
  await new EventRecorder(api, { component: 'default-scheduler' }).event(pod, 'Normal', 'Scheduled', 'Successfully assigned shop/web-1 to node1');
  const events = await api.list({ group: '', version: 'v1', resource: 'events', namespace: 'shop' });
  assert.equal(events.items.length, 1);
  const e = events.items[0] as Record<string, unknown>;
  assert.match(String((e.metadata as { name: string }).name), /^web-1\.[0-9a-f]+$/);
  assert.deepEqual(e.involvedObject, { kind: 'Pod', apiVersion: 'v1', name: 'web-1', namespace: 'shop', uid: 'u1', resourceVersion: '7' });
  assert.equal(e.reason, 'Scheduled');
  assert.equal(e.type, 'Normal');
  assert.equal(e.count, 1);
  assert.deepEqual(e.source, { component: 'default-scheduler' });
});

test('repeats are counted on one Event instead of creating more', async () => {
  const api = new FakeApi();
  const recorder = new EventRecorder(api, { component: 'kubelet', host: 'node1' });
  for (let i = 0; i < 3; i++) await recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await recorder.event(pod, 'Normal', 'Pulled', 'Container image "busybox" already present on machine');
  const events = await api.list({ group: '', version: 'v1', resource: 'events', namespace: 'shop' });
  assert.equal(events.items.length, 2);
  const backoff = events.items.find((e) => e.reason === 'BackOff') as Record<string, unknown>;
  assert.equal(backoff.count, 3);
});
