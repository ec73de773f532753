/** Validation of the workload kinds: apps/v1, batch/v1, replication controllers, pod templates. */
import type { FieldError, KubeObject } from '../types.js';
import { cronError } from './cron.js';
import { deepEqual, forbidden, immutable, invalid, notSupported, required } from './errors.js';
import { validatePodTemplate } from './pod.js';
import { selectorImmutable, templateMatches, validateLabelSelector, validateWorkloadSelector } from './selectors.js';
import { goIntOrString, isSet, list, rec, text, type Json } from './values.js';

const nonNegative = (value: unknown, field: string): FieldError[] =>
  typeof value === 'number' && value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];

/** Workload templates must restart always (deployments, replica sets, stateful and daemon sets). */
function restartAlways(spec: Json, path = 'spec'): FieldError[] {
  const policy = text(rec(rec(spec['template'])['spec'])['restartPolicy']);
  return policy && policy !== 'Always' ? [notSupported(`${path}.template.spec.restartPolicy`, policy, ['Always'])] : [];
}

/** IntOrString percentages and counts of rolling updates (ValidatePositiveIntOrPercent). */
function intOrPercent(value: unknown, field: string): FieldError[] {
  if (typeof value === 'number') return value < 0 ? [bad(field, value, 'must be greater than or equal to 0')] : [];
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value);
    if (!m) return [bad(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  }
  return [];
}
const bad = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${goIntOrString(value)}: ${detail}`,
});
const isZero = (v: unknown): boolean => v === 0 || v === '0%';

function rollingUpdate(rolling: Json, path: string, maxUnavailableCap = true): FieldError[] {
  const errs = [...intOrPercent(rolling['maxUnavailable'], `${path}.maxUnavailable`), ...intOrPercent(rolling['maxSurge'], `${path}.maxSurge`)];
  if (maxUnavailableCap && typeof rolling['maxUnavailable'] === 'string' && parseInt(rolling['maxUnavailable'], 10) > 100) {
    errs.push(bad(`${path}.maxUnavailable`, rolling['maxUnavailable'], 'must not be greater than 100%'));
  }
  if (isZero(rolling['maxUnavailable'] ?? 0) && isZero(rolling['maxSurge'] ?? 0)) {
    errs.push(bad(`${path}.maxUnavailable`, rolling['maxUnavailable'] ?? 0, 'may not be 0 when `maxSurge` is 0'));
  }
  return errs;
}

export function validateDeployment(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = [...nonNegative(spec['replicas'], 'spec.replicas'), ...validateWorkloadSelector(spec, 'deployment')];
  errs.push(...validatePodTemplate(spec['template'], 'spec.template'), ...restartAlways(spec));
  const strategy = rec(spec['strategy']);
  const type = text(strategy['type']);
  if (type === 'Recreate') {
    if (isSet(strategy['rollingUpdate'])) errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  } else if (type === 'RollingUpdate') {
    errs.push(...rollingUpdate(rec(strategy['rollingUpdate']), 'spec.strategy.rollingUpdate'));
  } else {
    errs.push(notSupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate']));
  }
  errs.push(...nonNegative(spec['minReadySeconds'], 'spec.minReadySeconds'), ...nonNegative(spec['revisionHistoryLimit'], 'spec.revisionHistoryLimit'));
  const deadline = spec['progressDeadlineSeconds'];
  if (typeof deadline === 'number') {
    errs.push(...nonNegative(deadline, 'spec.progressDeadlineSeconds'));
    if (deadline <= (typeof spec['minReadySeconds'] === 'number' ? spec['minReadySeconds'] : 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
    }
  }
  if (old) errs.push(...selectorImmutable(spec, rec(old['spec'])));
  return errs;
}

export function validateReplicaSet(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  // Upstream's replica set message says "deployment" too.
  const errs = [...nonNegative(spec['replicas'], 'spec.replicas'), ...nonNegative(spec['minReadySeconds'], 'spec.minReadySeconds'), ...validateWorkloadSelector(spec, 'deployment')];
  errs.push(...validatePodTemplate(spec['template'], 'spec.template'), ...restartAlways(spec));
  if (old) errs.push(...selectorImmutable(spec, rec(old['spec'])));
  return errs;
}

export function validateDaemonSet(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = [...validateWorkloadSelector(spec, 'daemonset'), ...validatePodTemplate(spec['template'], 'spec.template'), ...restartAlways(spec)];
  const strategy = rec(spec['updateStrategy']);
  const type = text(strategy['type']);
  if (type === 'RollingUpdate') errs.push(...rollingUpdate(rec(strategy['rollingUpdate']), 'spec.updateStrategy.rollingUpdate'));
  else if (type !== 'OnDelete') errs.push(notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']));
  errs.push(...nonNegative(spec['minReadySeconds'], 'spec.minReadySeconds'), ...nonNegative(spec['revisionHistoryLimit'], 'spec.revisionHistoryLimit'));
  if (old) errs.push(...selectorImmutable(spec, rec(old['spec'])));
  return errs;
}

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export function validateStatefulSet(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = [...nonNegative(spec['replicas'], 'spec.replicas'), ...validateWorkloadSelector(spec, 'statefulset')];
  errs.push(...validatePodTemplate(spec['template'], 'spec.template'), ...restartAlways(spec));
  const policy = text(spec['podManagementPolicy']);
  if (policy !== 'OrderedReady' && policy !== 'Parallel') {
    errs.push(invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const strategy = text(rec(spec['updateStrategy'])['type']);
  if (strategy !== 'RollingUpdate' && strategy !== 'OnDelete') {
    errs.push(invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  if (old) {
    const strip = (s: Json): Json => Object.fromEntries(Object.entries(s).filter(([k]) => !STS_MUTABLE.includes(k)));
    if (!deepEqual(strip(spec), strip(rec(old['spec'])))) {
      errs.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return errs;
}

/** Upstream's generateSelector: runs in the job's validation on create, once the uid is known. */
function generateSelector(job: KubeObject): void {
  const meta = rec(job.metadata);
  const uid = text(meta['uid']);
  const spec = rec(job['spec']);
  if (spec['manualSelector'] === true || !uid) return;
  const template = rec(spec['template']);
  spec['template'] = template;
  const tmeta = rec(template['metadata']);
  template['metadata'] = tmeta;
  const labels = rec(tmeta['labels']);
  tmeta['labels'] = labels;
  for (const key of ['job-name', 'batch.kubernetes.io/job-name']) if (!(key in labels)) labels[key] = text(meta['name']);
  for (const key of ['controller-uid', 'batch.kubernetes.io/controller-uid']) if (!(key in labels)) labels[key] = uid;
  const selector = rec(spec['selector']);
  spec['selector'] = selector;
  const matchLabels = rec(selector['matchLabels']);
  selector['matchLabels'] = matchLabels;
  if (!('batch.kubernetes.io/controller-uid' in matchLabels)) matchLabels['batch.kubernetes.io/controller-uid'] = uid;
  job['spec'] = spec;
}

function validateJobSpec(spec: Json, path: string, generated: boolean): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished']) {
    errs.push(...nonNegative(spec[key], `${path}.${key}`));
  }
  const mode = text(spec['completionMode']);
  if (mode && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && !isSet(spec['completions'])) errs.push(required(`${path}.completions`, 'when completion mode is Indexed'));
  if (isSet(spec['selector'])) {
    errs.push(...validateLabelSelector(spec['selector'], `${path}.selector`), ...templateMatches(spec['selector'], spec, path));
  } else if (!generated) {
    errs.push(required(`${path}.selector`));
  }
  const restart = text(rec(rec(spec['template'])['spec'])['restartPolicy']);
  if (restart === 'Always' || restart === '') {
    errs.push(required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  } else if (restart !== 'OnFailure' && restart !== 'Never') {
    errs.push(notSupported(`${path}.template.spec.restartPolicy`, restart, ['OnFailure', 'Never']));
  }
  errs.push(...validatePodTemplate(spec['template'], `${path}.template`));
  return errs;
}

export function validateJob(object: KubeObject, old?: KubeObject): FieldError[] {
  if (!old) generateSelector(object);
  const spec = rec(object['spec']);
  const manual = spec['manualSelector'] === true;
  const errs = validateJobSpec(spec, 'spec', !manual);
  if (!manual && !old) {
    const uid = text(rec(object.metadata)['uid']);
    const matchLabels = rec(rec(spec['selector'])['matchLabels']);
    const expected = uid ? { 'batch.kubernetes.io/controller-uid': uid } : {};
    if (uid && (!deepEqual(matchLabels, expected) || list(rec(spec['selector'])['matchExpressions']).length > 0)) {
      errs.push(invalid('spec.selector', spec['selector'], '`selector` not auto-generated'));
    }
  }
  if (old) {
    const oldSpec = rec(old['spec']);
    errs.push(...immutable('spec.selector', spec['selector'], oldSpec['selector']));
    errs.push(...immutable('spec.completionMode', spec['completionMode'], oldSpec['completionMode']));
    if (spec['completionMode'] !== 'Indexed') errs.push(...immutable('spec.completions', spec['completions'], oldSpec['completions']));
    // Upstream allows template changes only for suspended jobs that never started; kept strict here.
    if (!deepEqual(spec['template'], oldSpec['template']) && !(spec['suspend'] === true && !isSet(rec(old['status'])['startTime']))) {
      errs.push(invalid('spec.template', spec['template'], 'field is immutable'));
    }
  }
  return errs;
}

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function validateCronJob(object: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = text(rec(object.metadata)['name']);
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  const spec = rec(object['spec']);
  const schedule = text(spec['schedule']);
  if (!schedule) errs.push(required('spec.schedule'));
  else if (schedule.includes('TZ')) errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  else {
    const problem = cronError(schedule);
    if (problem) errs.push(invalid('spec.schedule', schedule, problem));
  }
  const zone = spec['timeZone'];
  if (typeof zone === 'string' && (zone === '' || !validTimeZone(zone))) errs.push(invalid('spec.timeZone', zone, `unknown time zone ${zone}`));
  const concurrency = text(spec['concurrencyPolicy']);
  if (!concurrency) errs.push(required('spec.concurrencyPolicy'));
  else if (!CONCURRENCY.includes(concurrency)) errs.push(notSupported('spec.concurrencyPolicy', concurrency, CONCURRENCY));
  for (const key of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) errs.push(...nonNegative(spec[key], `spec.${key}`));
  const jobSpec = rec(rec(spec['jobTemplate'])['spec']);
  errs.push(...validateJobSpec(jobSpec, 'spec.jobTemplate.spec', true));
  return errs;
}

export function validateReplicationController(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = nonNegative(spec['replicas'], 'spec.replicas');
  const selector = rec(spec['selector']);
  if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
  if (isSet(spec['template'])) {
    const labels = rec(rec(rec(spec['template'])['metadata'])['labels']);
    if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) {
      errs.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
    }
    errs.push(...validatePodTemplate(spec['template'], 'spec.template'), ...restartAlways(spec));
  }
  return errs;
}

export function validatePodTemplateObject(object: KubeObject): FieldError[] {
  return validatePodTemplate(object['template'], 'template');
}
