/**
 * Printers of the workload kinds: apps/v1, batch/v1, replication controllers, pod templates,
 * controller revisions, disruption budgets and autoscalers.
 */
import { arr, at, num, obj, str, type Obj } from './access.js';
import {
  AGE_COLUMN,
  col,
  CONTAINERS_COLUMN,
  convertor,
  IMAGES_COLUMN,
  NAME_COLUMN,
  nameCellsAge,
  nameOf,
  selectorColumn,
} from './columns.js';
import { age, boolPtr, condition, containerCells, formatLabels, formatSelector, humanDuration, selectorString, since } from './format.js';

const templateSpec = (o: Obj): Obj => obj(at(o, 'spec', 'template', 'spec'));

export const deploymentTable = convertor(
  [
    NAME_COLUMN,
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'),
  ],
  (o, now) => {
    const [names, images] = containerCells(templateSpec(o));
    const selector = selectorString(at(o, 'spec', 'selector'));
    return [
      nameOf(o),
      `${num(at(o, 'status', 'readyReplicas'))}/${num(at(o, 'spec', 'replicas'))}`,
      num(at(o, 'status', 'updatedReplicas')),
      num(at(o, 'status', 'availableReplicas')),
      age(o, now),
      names,
      images,
      selector === '<error>' ? '<invalid>' : selector,
    ];
  },
);

/** DESIRED CURRENT READY AGE + wide, shared by replica sets and replication controllers. */
function replicaTable(selectorDescription: string, formatSel: (o: Obj) => string) {
  return convertor(
    [
      NAME_COLUMN,
      col('Desired', 'integer', 'Replicas is the number of desired replicas.'),
      col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      selectorColumn(selectorDescription),
    ],
    (o, now) => {
      const [names, images] = containerCells(templateSpec(o));
      return [
        nameOf(o),
        num(at(o, 'spec', 'replicas')),
        num(at(o, 'status', 'replicas')),
        num(at(o, 'status', 'readyReplicas')),
        age(o, now),
        names,
        images,
        formatSel(o),
      ];
    },
  );
}

export const replicaSetTable = replicaTable(
  'Selector is a label query over pods that should match the replica count.',
  (o) => formatSelector(at(o, 'spec', 'selector')),
);
export const replicationControllerTable = replicaTable(
  'Selector is a label query over pods that should match the Replicas count.',
  (o) => formatLabels(at(o, 'spec', 'selector')),
);

export const statefulSetTable = convertor(
  [NAME_COLUMN, col('Ready', 'string', 'Number of the pod with ready state'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  (o, now) => {
    const [names, images] = containerCells(templateSpec(o));
    return [nameOf(o), `${num(at(o, 'status', 'readyReplicas'))}/${num(at(o, 'spec', 'replicas'))}`, age(o, now), names, images];
  },
);

export const daemonSetTable = convertor(
  [
    NAME_COLUMN,
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    col('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('A label query over pods that are managed by the daemon set.'),
  ],
  (o, now) => {
    const spec = templateSpec(o);
    const [names, images] = containerCells(spec);
    const s = (field: string): number => num(at(o, 'status', field));
    return [
      nameOf(o),
      s('desiredNumberScheduled'),
      s('currentNumberScheduled'),
      s('numberReady'),
      s('updatedNumberScheduled'),
      s('numberAvailable'),
      formatLabels(spec['nodeSelector']),
      age(o, now),
      names,
      images,
      formatSelector(at(o, 'spec', 'selector')),
    ];
  },
);

const jobConditionTrue = (job: Obj, type: string): boolean => condition(job, type)?.['status'] === 'True';

/** The STATUS cell of a job, in upstream's order of precedence. */
export function jobStatus(job: Obj): string {
  if (jobConditionTrue(job, 'Complete')) return 'Complete';
  if (jobConditionTrue(job, 'Failed')) return 'Failed';
  if (typeof at(job, 'metadata', 'deletionTimestamp') === 'string') return 'Terminating';
  if (jobConditionTrue(job, 'Suspended')) return 'Suspended';
  if (jobConditionTrue(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(job: Obj): string {
  const succeeded = num(at(job, 'status', 'succeeded'));
  const completions = at(job, 'spec', 'completions');
  if (typeof completions === 'number') return `${succeeded}/${completions}`;
  const parallelism = num(at(job, 'spec', 'parallelism'));
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: Obj, now: Date): string {
  const start = Date.parse(str(at(job, 'status', 'startTime')));
  if (Number.isNaN(start)) return '';
  const end = Date.parse(str(at(job, 'status', 'completionTime')));
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

export const jobTable = convertor(
  [
    NAME_COLUMN,
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('A label query over pods that should match the pod count.'),
  ],
  (o, now) => {
    const [names, images] = containerCells(templateSpec(o));
    return [
      nameOf(o),
      jobStatus(o),
      jobCompletions(o),
      jobDuration(o, now),
      age(o, now),
      names,
      images,
      formatSelector(at(o, 'spec', 'selector')),
    ];
  },
);

export const cronJobTable = convertor(
  [
    NAME_COLUMN,
    col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('A label query over pods that should match the pod count.'),
  ],
  (o, now) => {
    const jobSpec = obj(at(o, 'spec', 'jobTemplate', 'spec'));
    const [names, images] = containerCells(at(jobSpec, 'template', 'spec'));
    const last = at(o, 'status', 'lastScheduleTime');
    const timeZone = at(o, 'spec', 'timeZone');
    return [
      nameOf(o),
      str(at(o, 'spec', 'schedule')),
      typeof timeZone === 'string' ? timeZone : '<none>',
      boolPtr(at(o, 'spec', 'suspend')),
      arr(at(o, 'status', 'active')).length,
      typeof last === 'string' ? since(last, now) : '<none>',
      age(o, now),
      names,
      images,
      formatSelector(jobSpec['selector']),
    ];
  },
);

export const podTemplateTable = convertor(
  [
    NAME_COLUMN,
    col('Containers', 'string', 'Names of each container in the template.'),
    col('Images', 'string', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  (o) => {
    const [names, images] = containerCells(at(o, 'template', 'spec'));
    return [nameOf(o), names, images, formatLabels(at(o, 'template', 'metadata', 'labels'))];
  },
);

/** GroupKind.String() lower-cased: "daemonset.apps/name", "pod/name" for the core group. */
function controllerOf(o: Obj): string {
  const ref = arr(at(o, 'metadata', 'ownerReferences'))
    .map(obj)
    .find((r) => r['controller'] === true);
  if (!ref) return '<none>';
  const apiVersion = str(ref['apiVersion']);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = str(ref['kind']);
  const name = str(ref['name']);
  if (!kind && !group) return name;
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${name}`;
}

export const controllerRevisionTable = convertor(
  [
    NAME_COLUMN,
    col('Controller', 'string', 'Controller of the object'),
    col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  (o, now) => [nameOf(o), controllerOf(o), num(o['revision']), age(o, now)],
);

/** IntOrString.String(). */
const intOrString = (value: unknown): string => (typeof value === 'number' ? String(value) : str(value));

export const podDisruptionBudgetTable = nameCellsAge(
  [
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
  ],
  (o) => {
    const spec = obj(o['spec']);
    return [
      spec['minAvailable'] === undefined || spec['minAvailable'] === null ? 'N/A' : intOrString(spec['minAvailable']),
      spec['maxUnavailable'] === undefined || spec['maxUnavailable'] === null ? 'N/A' : intOrString(spec['maxUnavailable']),
      num(at(o, 'status', 'disruptionsAllowed')),
    ];
  },
);

/** One TARGETS entry of an autoscaling/v2 metric spec with its current status. */
function hpaMetric(spec: Obj, status: Obj | undefined): string {
  const target = (source: Obj): Obj => obj(source['target']);
  switch (spec['type']) {
    case 'External':
    case 'Object': {
      const key = spec['type'] === 'External' ? 'external' : 'object';
      const t = target(obj(spec[key]));
      const current = status ? obj(obj(status[key])['current']) : undefined;
      if (t['averageValue'] !== undefined) {
        const c = current?.['averageValue'] !== undefined ? str(current['averageValue']) : '<unknown>';
        return `${c}/${str(t['averageValue'])} (avg)`;
      }
      const c = current ? str(current['value']) || '0' : '<unknown>';
      return `${c}/${str(t['value']) || '0'}`;
    }
    case 'Pods': {
      const current = status ? str(at(status, 'pods', 'current', 'averageValue')) || '0' : '<unknown>';
      return `${current}/${str(at(spec, 'pods', 'target', 'averageValue')) || '0'}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const key = spec['type'] === 'Resource' ? 'resource' : 'containerResource';
      const source = obj(spec[key]);
      const t = target(source);
      const current = status && status[key] !== undefined ? obj(obj(status[key])['current']) : undefined;
      if (t['averageValue'] !== undefined) {
        return `${str(source['name'])}: ${current ? str(current['averageValue']) || '0' : '<unknown>'}/${str(t['averageValue'])}`;
      }
      const c = typeof current?.['averageUtilization'] === 'number' ? `${current['averageUtilization']}%` : '<unknown>';
      const goal = typeof t['averageUtilization'] === 'number' ? `${t['averageUtilization']}%` : '<auto>';
      return `${str(source['name'])}: ${c}/${goal}`;
    }
    default:
      return '<unknown type>';
  }
}

export const horizontalPodAutoscalerTable = nameCellsAge(
  [
    col('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler.'),
  ],
  (o) => {
    const specs = arr(at(o, 'spec', 'metrics')).map(obj);
    const statuses = arr(at(o, 'status', 'currentMetrics')).map(obj);
    const list = specs.map((s, i) => hpaMetric(s, statuses[i]));
    const targets =
      list.length === 0 ? '<none>' : list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
    const min = at(o, 'spec', 'minReplicas');
    return [
      `${str(at(o, 'spec', 'scaleTargetRef', 'kind'))}/${str(at(o, 'spec', 'scaleTargetRef', 'name'))}`,
      targets,
      typeof min === 'number' ? String(min) : '<unset>',
      num(at(o, 'spec', 'maxReplicas')),
      num(at(o, 'status', 'currentReplicas')),
    ];
  },
);

/**
 * autoscaling/v1 Scale, for `kubectl get <workload> <name> --subresource=scale`. Upstream's Name
 * column here carries no "name" format.
 */
export const scaleTable = convertor(
  [
    { ...NAME_COLUMN, format: '' },
    col('Desired', 'integer', 'replicas is the desired number of instances for the scaled object.'),
    col('Available', 'integer', 'replicas is the actual number of observed instances of the scaled object.'),
    AGE_COLUMN,
  ],
  (o, now) => [nameOf(o), num(at(o, 'spec', 'replicas')), num(at(o, 'status', 'replicas')), age(o, now)],
);
