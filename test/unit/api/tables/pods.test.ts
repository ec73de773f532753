import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podTable } from '../../../../src/api/tables/index.js';
import type { KubeObject } from '../../../../src/api/index.js';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: 'web', creationTimestamp: ago(300), ...meta }, spec, status };
}
const cells = (p: KubeObject): unknown[] => podTable.row(p, now);
const two = { containers: [{ name: 'a' }, { name: 'b' }] };

test('pod columns are NAME READY STATUS RESTARTS AGE and four wide ones', () => {
  assert.deepEqual(
    podTable.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
  );
  assert.equal(podTable.columns[0]?.format, 'name');
});

test('a running pod shows ready containers, Running, restarts and the wide cells', () => {
  const p = pod(
    { ...two, nodeName: 'node1' },
    {
      phase: 'Running',
      podIPs: [{ ip: '10.42.0.5' }, { ip: 'fd00::5' }],
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
        { name: 'b', ready: true, restartCount: 0, state: { running: {} } },
      ],
    },
  );
  assert.deepEqual(cells(p), ['web', '2/2', 'Running', '0', '5m', '10.42.0.5', 'node1', '<none>', '<none>']);
});

test('a pending pod with nothing scheduled shows <none> wide cells', () => {
  assert.deepEqual(cells(pod(two, { phase: 'Pending' })), ['web', '0/2', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
});

test('restarts show when the last container terminated', () => {
  const p = pod(two, {
    phase: 'Running',
    containerStatuses: [
      { name: 'a', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { finishedAt: ago(125), exitCode: 1 } } },
      { name: 'b', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { finishedAt: ago(3600), exitCode: 0 } } },
    ],
  });
  assert.deepEqual(cells(p).slice(1, 4), ['1/2', 'CrashLoopBackOff', '4 (2m5s ago)']);
});

test('the first container decides the status (statuses are walked backwards)', () => {
  const p = pod(two, {
    phase: 'Running',
    containerStatuses: [
      { name: 'a', state: { waiting: { reason: 'ImagePullBackOff' } } },
      { name: 'b', state: { waiting: { reason: 'ContainerCreating' } } },
    ],
  });
  assert.equal(cells(p)[2], 'ImagePullBackOff');
});

test('finished pods show Completed, Error, or the exit code and signal', () => {
  const done = pod({ containers: [{ name: 'a' }] }, { phase: 'Succeeded', containerStatuses: [{ name: 'a', state: { terminated: { reason: 'Completed', exitCode: 0 } } }] });
  assert.deepEqual(cells(done).slice(1, 3), ['0/1', 'Completed']);
  const code = pod({ containers: [{ name: 'a' }] }, { phase: 'Failed', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 2 } } }] });
  assert.equal(cells(code)[2], 'ExitCode:2');
  const signal = pod({ containers: [{ name: 'a' }] }, { phase: 'Failed', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 137, signal: 9 } } }] });
  assert.equal(cells(signal)[2], 'Signal:9');
});

test('Completed with a container still running reads Running or NotReady', () => {
  const status = (ready: string) => ({
    phase: 'Running',
    conditions: [{ type: 'Ready', status: ready }],
    containerStatuses: [
      { name: 'a', ready: true, state: { running: {} } },
      { name: 'b', state: { terminated: { reason: 'Completed', exitCode: 0 } } },
    ],
  });
  // Walking backwards, b's Completed is seen first, then a is running.
  assert.equal(cells(pod(two, status('True')))[2], 'Running');
  assert.equal(cells(pod(two, status('False')))[2], 'NotReady');
});

test('init containers show Init:n/m, Init:<reason> and Init:ExitCode', () => {
  const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] };
  const waiting = pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'i1', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'i2', state: { running: {} } },
    ],
    containerStatuses: [{ name: 'a', state: { waiting: { reason: 'PodInitializing' } } }],
  });
  assert.deepEqual(cells(waiting).slice(1, 3), ['0/1', 'Init:1/2']);
  const crash = pod(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
  assert.deepEqual(cells(crash).slice(2, 4), ['Init:CrashLoopBackOff', '2']);
  const failed = pod(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 3 } } }] });
  assert.equal(cells(failed)[2], 'Init:ExitCode:3');
});

test('sidecar init containers count towards READY and RESTARTS', () => {
  const spec = { initContainers: [{ name: 'side', restartPolicy: 'Always' }], containers: [{ name: 'a' }] };
  const p = pod(spec, {
    phase: 'Running',
    conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [{ name: 'side', started: true, ready: true, restartCount: 1, state: { running: {} } }],
    containerStatuses: [{ name: 'a', ready: true, state: { running: {} } }],
  });
  assert.deepEqual(cells(p).slice(1, 4), ['2/2', 'Running', '1']);
});

test('a pod being deleted shows Terminating, or Unknown when its node is lost', () => {
  const deleting = { deletionTimestamp: ago(1) };
  assert.equal(cells(pod(two, { phase: 'Running' }, deleting))[2], 'Terminating');
  assert.equal(cells(pod(two, { phase: 'Succeeded' }, deleting))[2], 'Succeeded');
  assert.equal(cells(pod(two, { phase: 'Running', reason: 'NodeLost' }, deleting))[2], 'Unknown');
});

test('status.reason and scheduling gates override the phase', () => {
  assert.equal(cells(pod(two, { phase: 'Failed', reason: 'Evicted' }))[2], 'Evicted');
  assert.equal(cells(pod(two, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }))[2], 'SchedulingGated');
});

test('readiness gates count the true conditions', () => {
  const p = pod(
    { ...two, readinessGates: [{ conditionType: 'x/one' }, { conditionType: 'x/two' }] },
    { phase: 'Running', conditions: [{ type: 'x/one', status: 'True' }, { type: 'x/two', status: 'False' }] },
  );
  assert.equal(cells(p)[8], '1/2');
});
