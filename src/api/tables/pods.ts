/**
 * `kubectl get pods`: READY, STATUS (the aggregate reason: Completed, CrashLoopBackOff,
 * Init:0/1, Terminating, ...), RESTARTS with the time of the last one, and the wide columns.
 * The STATUS rules follow upstream's printer step by step, because users read them as facts.
 */
import { arr, at, num, obj, str, type Obj } from './access.js';
import { AGE_COLUMN, col, convertor, NAME_COLUMN, nameOf } from './columns.js';
import { age, since } from './format.js';

const NODE_UNREACHABLE_REASON = 'NodeLost';

/** A sidecar: an init container with restartPolicy Always. */
const isRestartable = (container: Obj | undefined): boolean => container?.['restartPolicy'] === 'Always';

const finishedAt = (status: Obj): number => {
  const terminated = at(status, 'lastState', 'terminated');
  if (terminated === undefined || terminated === null) return NaN;
  const time = Date.parse(str(obj(terminated)['finishedAt']));
  return Number.isNaN(time) ? -Infinity : time;
};

const conditionTrue = (pod: Obj, type: string): boolean =>
  arr(at(pod, 'status', 'conditions'))
    .map(obj)
    .some((c) => c['type'] === type && c['status'] === 'True');

/** The first condition of a type decides (isPodInitializedConditionTrue). */
const initializedTrue = (pod: Obj): boolean => {
  const found = arr(at(pod, 'status', 'conditions'))
    .map(obj)
    .find((c) => c['type'] === 'Initialized');
  return found?.['status'] === 'True';
};

function terminatedReason(terminated: Obj, prefix: string): string {
  const reason = str(terminated['reason']);
  if (reason) return prefix + reason;
  const signal = num(terminated['signal']);
  return signal !== 0 ? `${prefix}Signal:${signal}` : `${prefix}ExitCode:${num(terminated['exitCode'])}`;
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS of one pod at `now`. */
export function podSummary(pod: Obj, now: Date): PodSummary {
  const spec = obj(pod['spec']);
  const status = obj(pod['status']);
  const phase = str(status['phase']);
  let reason = str(status['reason']) || phase;
  for (const c of arr(status['conditions']).map(obj)) {
    if (c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = new Map<string, Obj>();
  let total = arr(spec['containers']).length;
  for (const c of arr(spec['initContainers']).map(obj)) {
    initSpecs.set(str(c['name']), c);
    if (isRestartable(c)) total++;
  }

  let restarts = 0;
  let sidecarRestarts = 0;
  let ready = 0;
  let lastRestart = -Infinity;
  let lastSidecarRestart = -Infinity;
  let initializing = false;
  const initStatuses = arr(status['initContainerStatuses']).map(obj);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const count = num(cs['restartCount']);
    restarts += count;
    const finished = finishedAt(cs);
    if (!Number.isNaN(finished)) lastRestart = Math.max(lastRestart, finished);
    const sidecar = isRestartable(initSpecs.get(str(cs['name'])));
    if (sidecar) {
      sidecarRestarts += count;
      if (!Number.isNaN(finished)) lastSidecarRestart = Math.max(lastSidecarRestart, finished);
    }
    const state = obj(cs['state']);
    const terminated = state['terminated'] === undefined || state['terminated'] === null ? undefined : obj(state['terminated']);
    const waiting = state['waiting'] === undefined || state['waiting'] === null ? undefined : obj(state['waiting']);
    if (terminated && num(terminated['exitCode']) === 0) continue;
    if (sidecar && cs['started'] === true) {
      if (cs['ready'] === true) ready++;
      continue;
    }
    if (terminated) reason = terminatedReason(terminated, 'Init:');
    else if (waiting && str(waiting['reason']) && waiting['reason'] !== 'PodInitializing') reason = `Init:${str(waiting['reason'])}`;
    else reason = `Init:${i}/${arr(spec['initContainers']).length}`;
    initializing = true;
    break;
  }

  if (!initializing || initializedTrue(pod)) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status['containerStatuses']).map(obj);
    // Upstream walks the statuses backwards, so the first container's state wins.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      restarts += num(cs['restartCount']);
      const finished = finishedAt(cs);
      if (!Number.isNaN(finished)) lastRestart = Math.max(lastRestart, finished);
      const state = obj(cs['state']);
      const waiting = state['waiting'] === undefined || state['waiting'] === null ? undefined : obj(state['waiting']);
      const terminated = state['terminated'] === undefined || state['terminated'] === null ? undefined : obj(state['terminated']);
      if (waiting && str(waiting['reason'])) reason = str(waiting['reason']);
      else if (terminated) reason = terminatedReason(terminated, '');
      else if (cs['ready'] === true && state['running'] !== undefined && state['running'] !== null) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = typeof at(pod, 'metadata', 'deletionTimestamp') === 'string';
  if (deleting && status['reason'] === NODE_UNREACHABLE_REASON) reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartText = String(restarts);
  if (restarts !== 0 && Number.isFinite(lastRestart)) {
    restartText = `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`;
  }
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

function readinessGates(pod: Obj): string {
  const gates = arr(at(pod, 'spec', 'readinessGates')).map(obj);
  if (gates.length === 0) return '<none>';
  const conditions = arr(at(pod, 'status', 'conditions')).map(obj);
  let passing = 0;
  for (const gate of gates) {
    const found = conditions.find((c) => c['type'] === gate['conditionType']);
    if (found?.['status'] === 'True') passing++;
  }
  return `${passing}/${gates.length}`;
}

export const podTable = convertor(
  [
    NAME_COLUMN,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE_COLUMN,
    col('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
    col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  (pod, now) => {
    const summary = podSummary(pod, now);
    const ip = str(obj(arr(at(pod, 'status', 'podIPs'))[0])['ip']);
    return [
      nameOf(pod),
      summary.ready,
      summary.status,
      summary.restarts,
      age(pod, now),
      ip || '<none>',
      str(at(pod, 'spec', 'nodeName')) || '<none>',
      str(at(pod, 'status', 'nominatedNodeName')) || '<none>',
      readinessGates(pod),
    ];
  },
);
