import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerStatus } from '../../../src/agent/cri/index.js';
import type { Pod } from '../../../src/agent/pods/pod-types.js';
import { podStatus, type Instances, type Waiting } from '../../../src/agent/pods/status.js';

const NOW = '2026-01-01T00:00:00Z';
const s = 1e9;

function pod(restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always', init = false): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox:1' }], ...(init ? { initContainers: [{ name: 'init', image: 'busybox:1' }] } : {}) },
    status: { conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: NOW }] },
  };
}

function cri(id: string, state: ContainerStatus['state'], exitCode = 0, restart = 0): ContainerStatus {
  return { id, metadata: { name: 'main', attempt: restart }, state, createdAt: 1 * s, startedAt: 2 * s, finishedAt: state === 'CONTAINER_EXITED' ? 3 * s : 0, exitCode, image: { image: 'busybox:1' }, imageRef: 'sha256:abc', reason: '', message: '', labels: {}, annotations: { 'io.kubernetes.container.restartCount': String(restart) }, logPath: '' };
}

function status(p: Pod, instances: Record<string, Instances>, waiting: Record<string, Waiting> = {}) {
  return podStatus({ pod: p, instances: new Map(Object.entries(instances)), waiting: new Map(Object.entries(waiting)), sandboxReady: true, podIP: '10.42.0.5', hostIP: '192.0.2.1', failedStarts: new Set(), terminationMessage: () => '', now: NOW });
}

test('a running container makes the pod Running and Ready with its IPs and container ID', () => {
  const st = status(pod(), { main: { latest: cri('c1', 'CONTAINER_RUNNING') } });
  assert.equal(st.phase, 'Running');
  assert.equal(st.podIP, '10.42.0.5');
  assert.deepEqual(st.podIPs, [{ ip: '10.42.0.5' }]);
  assert.equal(st.hostIP, '192.0.2.1');
  const c = st.containerStatuses![0]!;
  assert.equal(c.containerID, 'containerd://c1');
  assert.equal(c.ready, true);
  assert.ok(c.state.running);
  const byType = Object.fromEntries(st.conditions!.map((x) => [x.type, x.status]));
  assert.deepEqual(byType, { PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True', PodScheduled: 'True' });
});

test('a crashed container in back-off shows CrashLoopBackOff with the last termination and keeps the pod Running', () => {
  const st = status(pod(), { main: { latest: cri('c2', 'CONTAINER_EXITED', 1, 2) } }, { main: { reason: 'CrashLoopBackOff', message: 'back-off 20s' } });
  const c = st.containerStatuses![0]!;
  assert.equal(st.phase, 'Running');
  assert.equal(c.state.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(c.lastState.terminated?.exitCode, 1);
  assert.equal(c.lastState.terminated?.reason, 'Error');
  assert.equal(c.restartCount, 2);
  assert.equal(st.conditions!.find((x) => x.type === 'Ready')?.status, 'False');
});

test('a pull failure keeps the pod Pending with the waiting reason', () => {
  const st = status(pod(), {}, { main: { reason: 'ErrImagePull', message: 'not found' } });
  assert.equal(st.phase, 'Pending');
  assert.equal(st.containerStatuses![0]!.state.waiting?.reason, 'ErrImagePull');
});

test('restartPolicy decides the phase once every container has exited', () => {
  assert.equal(status(pod('Never'), { main: { latest: cri('c', 'CONTAINER_EXITED', 0) } }).phase, 'Succeeded');
  assert.equal(status(pod('Never'), { main: { latest: cri('c', 'CONTAINER_EXITED', 2) } }).phase, 'Failed');
  assert.equal(status(pod('OnFailure'), { main: { latest: cri('c', 'CONTAINER_EXITED', 0) } }).phase, 'Succeeded');
  assert.equal(status(pod('OnFailure'), { main: { latest: cri('c', 'CONTAINER_EXITED', 2) } }).phase, 'Running');
  const done = status(pod('Never'), { main: { latest: cri('c', 'CONTAINER_EXITED', 0) } });
  assert.equal(done.containerStatuses![0]!.state.terminated?.reason, 'Completed');
  assert.equal(done.conditions!.find((x) => x.type === 'Ready')?.reason, 'PodCompleted');
});

test('init containers gate the main ones: PodInitializing until they succeed', () => {
  const running = status(pod('Always', true), { init: { latest: { ...cri('i1', 'CONTAINER_RUNNING'), metadata: { name: 'init', attempt: 0 } } } });
  assert.equal(running.phase, 'Pending');
  assert.equal(running.containerStatuses![0]!.state.waiting?.reason, 'PodInitializing');
  assert.equal(running.conditions!.find((x) => x.type === 'Initialized')?.status, 'False');
  const failed = status(pod('Never', true), { init: { latest: cri('i1', 'CONTAINER_EXITED', 1) } });
  assert.equal(failed.phase, 'Failed');
});

test('transition times are kept while a condition keeps its status', () => {
  const p = pod();
  p.status!.conditions!.push({ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' });
  const st = status(p, { main: { latest: cri('c1', 'CONTAINER_RUNNING') } });
  assert.equal(st.conditions!.find((x) => x.type === 'Ready')?.lastTransitionTime, '2025-01-01T00:00:00Z');
  assert.equal(st.conditions!.find((x) => x.type === 'ContainersReady')?.lastTransitionTime, NOW);
});
