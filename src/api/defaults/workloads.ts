/**
 * apps/v1 and batch/v1 defaults (upstream's SetDefaults_Deployment, _ReplicaSet, _StatefulSet,
 * _DaemonSet, _Job, _CronJob) plus the replication controller and pod template of core/v1.
 * Every pod template inside gets the pod-spec defaults.
 */
import { podSpec } from './pod.js';
import { child, isEmpty, isObject, optionalChild, setDefault, type Json } from './fields.js';

/** template.spec of a workload, defaulted as a pod spec. */
function template(parent: Json): Json {
  const tpl = child(parent, 'template');
  podSpec(child(tpl, 'spec'));
  return tpl;
}

export function deployment(object: Json): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') {
    const rolling = child(strategy, 'rollingUpdate');
    setDefault(rolling, 'maxUnavailable', '25%');
    setDefault(rolling, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  template(spec);
}

export function replicaSet(object: Json): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'replicas', 1);
  template(spec);
}

export function statefulSet(object: Json): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') setDefault(child(strategy, 'rollingUpdate'), 'partition', 0);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  template(spec);
  for (const claim of Array.isArray(spec['volumeClaimTemplates']) ? spec['volumeClaimTemplates'].filter(isObject) : []) {
    setDefault(child(claim, 'spec'), 'volumeMode', 'Filesystem');
    setDefault(child(claim, 'status'), 'phase', 'Pending');
  }
}

export function daemonSet(object: Json): void {
  const spec = child(object, 'spec');
  const strategy = child(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') {
    const rolling = child(strategy, 'rollingUpdate');
    setDefault(rolling, 'maxUnavailable', 1);
    setDefault(rolling, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  template(spec);
}

const MAX_INT32 = 2147483647;

/** JobSpec defaults that SetDefaults_Job applies (not applied inside cron job templates). */
export function job(object: Json): void {
  const spec = child(object, 'spec');
  if (spec['completions'] == null && spec['parallelism'] == null) {
    spec['completions'] = 1;
    spec['parallelism'] = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec['backoffLimitPerIndex'] == null ? 6 : MAX_INT32);
  const tpl = template(spec);
  const labels = optionalChild(optionalChild(tpl, 'metadata') ?? {}, 'labels');
  if (labels && Object.keys(labels).length > 0 && isEmpty(optionalChild(object, 'metadata')?.['labels'])) {
    child(object, 'metadata')['labels'] = { ...labels };
  }
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  const failurePolicy = optionalChild(spec, 'podFailurePolicy');
  if (failurePolicy) {
    for (const rule of Array.isArray(failurePolicy['rules']) ? failurePolicy['rules'].filter(isObject) : []) {
      for (const pattern of Array.isArray(rule['onPodConditions']) ? rule['onPodConditions'].filter(isObject) : []) {
        setDefault(pattern, 'status', 'True');
      }
    }
  }
  setDefault(spec, 'podReplacementPolicy', failurePolicy ? 'Failed' : 'TerminatingOrFailed');
}

export function cronJob(object: Json): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  template(child(child(spec, 'jobTemplate'), 'spec'));
}

export function replicationController(object: Json): void {
  const spec = child(object, 'spec');
  const tpl = optionalChild(spec, 'template');
  const labels = optionalChild(optionalChild(tpl ?? {}, 'metadata') ?? {}, 'labels');
  if (labels) {
    if (isEmpty(spec['selector'])) spec['selector'] = { ...labels };
    const metadata = child(object, 'metadata');
    if (isEmpty(metadata['labels'])) metadata['labels'] = { ...labels };
  }
  setDefault(spec, 'replicas', 1);
  if (tpl) podSpec(child(tpl, 'spec'));
}

export function podTemplate(object: Json): void {
  podSpec(child(child(object, 'template'), 'spec'));
}
