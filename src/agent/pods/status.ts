/**
 * Pod status from what the runtime reports: each container's state, lastState, restartCount,
 * image and container IDs, the phase, and the conditions (PodReadyToStartContainers,
 * Initialized, ContainersReady, Ready, and the scheduler's PodScheduled kept as it is).
 * Pure: the sync loop gathers the inputs, this decides what kubectl shows.
 */
import { readFileSync } from 'node:fs';
import type { ContainerStatus } from '../cri/index.js';
import { RESTART_COUNT } from './labels.js';
import type { ContainerSpec, ContainerState, ContainerStatusApi, Pod, PodCondition, PodStatus } from './pod-types.js';

export interface Waiting {
  readonly reason: string;
  readonly message?: string;
}

/** Per container name: the newest CRI instance and the one before it. */
export interface Instances {
  readonly latest?: ContainerStatus;
  readonly previous?: ContainerStatus;
}

export interface StatusInputs {
  readonly pod: Pod;
  readonly instances: ReadonlyMap<string, Instances>;
  /** Why a container is not running, set by the sync loop (image pulls, back-off, errors). */
  readonly waiting: ReadonlyMap<string, Waiting>;
  readonly sandboxReady: boolean;
  readonly podIP: string;
  readonly hostIP: string;
  /** Containers whose start failed (created but never ran). */
  readonly failedStarts: ReadonlySet<string>;
  readonly terminationMessage: (containerName: string) => string;
  /** Probe results of a container: readiness and startup, when it has those probes. */
  readonly probes?: (c: ContainerSpec) => { ready?: boolean; started?: boolean };
  readonly now: string;
}

export function timeOf(ns: number): string {
  return new Date(Math.floor(ns / 1e6)).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function readTerminationMessage(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(0, 4096);
  } catch {
    return '';
  }
}

/** Whether the CRI instance has finished (exited, or never started because start failed). */
export function finished(s: ContainerStatus | undefined, failedStarts: ReadonlySet<string>): boolean {
  return !!s && (s.state === 'CONTAINER_EXITED' || (s.state === 'CONTAINER_CREATED' && failedStarts.has(s.id)));
}

export function exitCodeOf(s: ContainerStatus, failedStarts: ReadonlySet<string>): number {
  return s.state === 'CONTAINER_CREATED' && failedStarts.has(s.id) ? 128 : s.exitCode;
}

function terminated(s: ContainerStatus, failedStarts: ReadonlySet<string>, message: string): ContainerState {
  const exitCode = exitCodeOf(s, failedStarts);
  return {
    terminated: {
      exitCode,
      reason: s.reason || (failedStarts.has(s.id) ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error'),
      ...(message || s.message ? { message: message || s.message } : {}),
      startedAt: timeOf(s.startedAt || s.createdAt),
      finishedAt: timeOf(s.finishedAt || s.createdAt),
      containerID: `containerd://${s.id}`,
    },
  };
}

function restartCountOf(s: ContainerStatus | undefined): number {
  return s ? Number(s.annotations[RESTART_COUNT] ?? '0') || 0 : 0;
}

function containerStatus(c: ContainerSpec, inputs: StatusInputs, defaultWaiting: string): ContainerStatusApi {
  const { latest, previous } = inputs.instances.get(c.name) ?? {};
  const waiting = inputs.waiting.get(c.name);
  const message = inputs.terminationMessage(c.name);
  let state: ContainerState;
  let lastState: ContainerState = {};
  if (latest && latest.state === 'CONTAINER_RUNNING') {
    state = { running: { startedAt: timeOf(latest.startedAt) } };
    if (previous && finished(previous, inputs.failedStarts)) lastState = terminated(previous, inputs.failedStarts, '');
  } else if (latest && finished(latest, inputs.failedStarts)) {
    if (waiting) {
      state = { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } };
      lastState = terminated(latest, inputs.failedStarts, message);
    } else {
      state = terminated(latest, inputs.failedStarts, message);
      if (previous && finished(previous, inputs.failedStarts)) lastState = terminated(previous, inputs.failedStarts, '');
    }
  } else if (waiting) {
    state = { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } };
  } else {
    state = { waiting: { reason: defaultWaiting } };
  }
  const running = !!state.running;
  const probed = running ? (inputs.probes?.(c) ?? {}) : {};
  const started = running && probed.started !== false;
  return {
    name: c.name,
    state,
    lastState,
    ready: started && probed.ready !== false,
    restartCount: restartCountOf(latest),
    image: c.image,
    imageID: latest?.imageRef ?? '',
    ...(latest ? { containerID: `containerd://${latest.id}` } : {}),
    started,
  };
}

function condition(type: string, ok: boolean, previous: PodCondition[] | undefined, now: string, reason?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const old = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    ...(reason && !ok ? { reason } : {}),
    lastProbeTime: null,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
  };
}

export function podPhase(pod: Pod, init: ContainerStatusApi[], main: ContainerStatusApi[], initDone: boolean): NonNullable<PodStatus['phase']> {
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (policy === 'Never' && init.some((s) => s.state.terminated && s.state.terminated.exitCode !== 0)) return 'Failed';
  if (!initDone) return 'Pending';
  // A container with no runtime instance yet (pulling, creating, failing to pull) keeps it Pending.
  if (main.some((s) => !s.containerID)) return 'Pending';
  if (main.some((s) => s.state.running)) return 'Running';
  // Every container has run and none runs now: waiting ones are in restart back-off.
  if (!main.every((s) => s.state.terminated)) return 'Running';
  const failed = main.some((s) => s.state.terminated!.exitCode !== 0);
  if (policy === 'Always') return 'Running';
  if (policy === 'OnFailure') return failed ? 'Running' : 'Succeeded';
  return failed ? 'Failed' : 'Succeeded';
}

export function podStatus(inputs: StatusInputs): PodStatus {
  const { pod } = inputs;
  const previous = pod.status?.conditions;
  const initSpecs = pod.spec.initContainers ?? [];
  const init = initSpecs.map((c) => containerStatus(c, inputs, 'PodInitializing'));
  const initDone = init.every((s) => s.state.terminated?.exitCode === 0);
  const main = pod.spec.containers.map((c) => containerStatus(c, inputs, initDone ? 'ContainerCreating' : 'PodInitializing'));
  for (const s of init) s.ready = s.state.terminated?.exitCode === 0;
  const phase = podPhase(pod, init, main, initDone);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const containersReady = !terminal && main.every((s) => s.ready);
  const notReady = main.filter((s) => !s.ready).map((s) => s.name);
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', inputs.sandboxReady, previous, inputs.now),
    { ...condition('Initialized', initDone, previous, inputs.now, 'ContainersNotInitialized'), ...(!initDone ? { message: `containers with incomplete status: [${initSpecs.filter((_, i) => init[i]!.state.terminated?.exitCode !== 0).map((c) => c.name).join(' ')}]` } : {}) },
    { ...condition('Ready', containersReady, previous, inputs.now, terminal ? 'PodCompleted' : 'ContainersNotReady'), ...(!containersReady && !terminal ? { message: `containers with unready status: [${notReady.join(' ')}]` } : {}) },
    { ...condition('ContainersReady', containersReady, previous, inputs.now, terminal ? 'PodCompleted' : 'ContainersNotReady'), ...(!containersReady && !terminal ? { message: `containers with unready status: [${notReady.join(' ')}]` } : {}) },
    ...(previous?.filter((c) => c.type === 'PodScheduled') ?? [{ type: 'PodScheduled', status: 'True' as const, lastProbeTime: null, lastTransitionTime: inputs.now }]),
  ];
  return {
    phase,
    conditions,
    hostIP: inputs.hostIP,
    hostIPs: [{ ip: inputs.hostIP }],
    ...(inputs.podIP ? { podIP: inputs.podIP, podIPs: [{ ip: inputs.podIP }] } : {}),
    startTime: pod.status?.startTime ?? inputs.now,
    ...(init.length > 0 ? { initContainerStatuses: init } : {}),
    containerStatuses: main,
    ...(pod.status?.qosClass ? { qosClass: pod.status.qosClass } : {}),
  };
}
