import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventRecorder } from '../../../src/client/index.js';
import type { CriClient } from '../../../src/agent/cri/index.js';
import { postStart, stopWithPreStop } from '../../../src/agent/pods/lifecycle.js';
import type { ContainerSpec, Pod } from '../../../src/agent/pods/pod-types.js';

/** A runtime that records stops and answers exec with a fixed result. */
function fakes(exitCode = 0): { cri: CriClient; events: EventRecorder; stops: [string, number][]; recorded: [string, string][] } {
  const stops: [string, number][] = [];
  const recorded: [string, string][] = [];
  const cri = {
    execSync: async () => ({ exitCode, stdout: Buffer.from(exitCode ? 'bad' : ''), stderr: Buffer.alloc(0) }),
    stopContainer: async (id: string, grace: number) => void stops.push([id, grace]),
  } as unknown as CriClient;
  const events = { event: async (_o: unknown, _t: string, reason: string, message: string) => void recorded.push([reason, message]) } as unknown as EventRecorder;
  return { cri, events, stops, recorded };
}

const pod = (grace: number): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { terminationGracePeriodSeconds: grace, containers: [] } }) as Pod;

test('preStop time comes out of the grace period, leaving SIGTERM at least 2 s', async () => {
  const f = fakes();
  const c: ContainerSpec = { name: 'c', image: 'i', lifecycle: { preStop: { sleep: { seconds: 1 } } } };
  await stopWithPreStop(pod(10), c, 'id1', '10.0.0.1', f.cri, f.events, 10);
  assert.deepEqual(f.stops, [['id1', 9]]);
  assert.deepEqual(f.recorded, []);
  // A hook longer than the grace period is cut off at the grace period, with an event.
  const g = fakes();
  const slow: ContainerSpec = { name: 'c', image: 'i', lifecycle: { preStop: { sleep: { seconds: 30 } } } };
  const started = Date.now();
  await stopWithPreStop(pod(1), slow, 'id2', '', g.cri, g.events, 1);
  assert.ok(Date.now() - started < 2500);
  assert.deepEqual(g.stops, [['id2', 2]]);
  assert.equal(g.recorded[0]?.[0], 'FailedPreStopHook');
  assert.match(g.recorded[0]?.[1] ?? '', /^Sleep lifecycle hook \(30s\) for Container "c" in Pod "p_ns\(u1\)" failed - error: the hook did not finish within the grace period \(1s\)$/);
  // No hook: the whole grace period; grace 0 skips the hook.
  const h = fakes();
  await stopWithPreStop(pod(5), { name: 'c', image: 'i' }, 'id3', '', h.cri, h.events, 5);
  await stopWithPreStop(pod(0), slow, 'id4', '', h.cri, h.events, 0);
  assert.deepEqual(h.stops, [['id3', 5], ['id4', 0]]);
});

test('a failing postStart records FailedPostStartHook and kills the container; a passing one does nothing', async () => {
  const ok = fakes(0);
  const c: ContainerSpec = { name: 'c', image: 'i', lifecycle: { postStart: { exec: { command: ['true'] } } } };
  assert.equal(await postStart(pod(3), c, 'id', '', ok.cri, ok.events), true);
  assert.deepEqual([ok.stops, ok.recorded], [[], []]);
  const bad = fakes(2);
  assert.equal(await postStart(pod(3), c, 'id', '', bad.cri, bad.events), false);
  assert.deepEqual(bad.recorded.map((r) => r[0]), ['FailedPostStartHook', 'Killing']);
  assert.match(bad.recorded[0]![1], /^Exec lifecycle hook \(\["true"\]\) for Container "c" in Pod "p_ns\(u1\)" failed - error: command 'true' exited with 2: bad$/);
  assert.deepEqual(bad.stops, [['id', 3]]);
});
