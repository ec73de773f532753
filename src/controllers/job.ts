/**
 * Job controller: runs pods until spec.completions succeed (NonIndexed), or one pod per
 * completion index succeeds (Indexed), at most spec.parallelism at a time. Finished pods are
 * counted exactly once through the batch.kubernetes.io/job-tracking finalizer, as upstream: a
 * finished pod's uid goes into status.uncountedTerminatedPods (and its index into
 * completedIndexes), then its finalizer is removed, then it moves into succeeded/failed. So a
 * restart between any two steps neither loses nor double counts a pod.
 *
 * Terminal states follow the 1.32 controller: SuccessCriteriaMet or FailureTarget first
 * (BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy), remaining pods deleted, then
 * Complete or Failed once no pod is left running. Suspended jobs delete their pods; resuming
 * resets startTime. ttlSecondsAfterFinished deletes a finished job (the ttl-after-finished
 * controller's job, folded in here).
 */
import type { OwnerReference } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isNotFound, type ResourceRef } from '../client/types.js';
import { orNull, QueueController, type ControllerContext } from './controller.js';
import {
  COMPLETION_INDEX,
  finishTime,
  INDEX_FAILURE_COUNT,
  indexFailuresBefore,
  formatIndexes,
  hasCondition,
  isFinished,
  matchFailurePolicy,
  parseIndexes,
  podIndex,
  restartCount,
  setJobCondition,
  successPolicyMet,
  timestamp,
  TRACKING_FINALIZER,
  type Job,
  type JobStatus,
} from './job-util.js';
import { Expectations } from './expectations.js';
import { routeOwnedPods } from './owned-pods.js';
import { controllerOf, isPodActive, isPodReady, podRank, type PodLike } from './pods.js';

const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
/** The spec.managedBy value that means this controller (also the default). */
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
/** Upstream's cap on the delay before a failed pod is replaced. */
const MAX_BACKOFF_MS = 6 * 60 * 1000;

export interface JobControllerOptions {
  /** First delay before replacing a failed pod; doubles per failure (upstream: 10 s). */
  readonly podBackoffMs?: number;
}


function isTerminal(pod: PodLike): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
function hasFinalizer(pod: PodLike): boolean {
  return pod.metadata?.finalizers?.includes(TRACKING_FINALIZER) ?? false;
}

export class JobController extends QueueController {
  readonly name = 'job-controller';
  private jobs!: Informer<Job>;
  private pods!: Informer<PodLike>;
  private readonly expectations = new Expectations();
  /** Pods this controller deleted (suspend, excess parallelism): not failures when they go. */
  private readonly deletedByUs = new Set<string>();
  /** Per job: when its latest failure was seen, for the replacement backoff. */
  private readonly lastFailure = new Map<string, number>();
  private readonly podBackoffMs: number;

  constructor(options: JobControllerOptions = {}) {
    super();
    this.podBackoffMs = options.podBackoffMs ?? 10_000;
  }

  protected register(ctx: ControllerContext): void {
    this.jobs = ctx.informers.for<Job>(JOBS);
    this.pods = ctx.informers.for<PodLike>(PODS);
    this.pods.addIndex('job', (pod) => {
      const owner = controllerOf(pod);
      return owner?.kind === 'Job' ? [owner.uid] : [];
    });
    // By owner name too: once a job is gone (deleted in the background) its uid is unknown here.
    this.pods.addIndex('jobKey', (pod) => {
      const owner = controllerOf(pod);
      return owner?.kind === 'Job' && hasFinalizer(pod) ? [`${pod.metadata?.namespace}/${owner.name}`] : [];
    });
    this.jobs.addHandlers({
      onAdd: (job) => this.queue.add(objectKey(job)),
      onUpdate: (job) => this.queue.add(objectKey(job)),
      onDelete: (job) => {
        this.expectations.forget(objectKey(job));
        this.lastFailure.delete(objectKey(job));
      },
    });
    routeOwnedPods(this.pods, { kind: 'Job', expectations: this.expectations, enqueue: (key) => this.queue.add(key), orphan: (pod) => this.enqueueMatching(pod) });
  }

  /** An orphan pod may be adopted by a running job whose selector matches it. */
  private enqueueMatching(pod: PodLike): void {
    if (pod.metadata?.deletionTimestamp || controllerOf(pod)) return;
    for (const job of this.jobs.list()) {
      if (job.metadata?.namespace !== pod.metadata?.namespace || isFinished(job)) continue;
      if (labelSelectorFromObject(job.spec?.selector).matches(pod.metadata?.labels)) this.queue.add(objectKey(job));
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const job = this.jobs.get(key);
    const { namespace } = splitKey(key);
    // Pods whose job is gone (or replaced by a namesake) would keep the tracking finalizer forever.
    const orphans = this.pods.byIndex('jobKey', key).filter((p) => controllerOf(p)?.uid !== job?.metadata?.uid);
    await Promise.all(orphans.map((p) => this.removeFinalizer({ ...PODS, ...(namespace ? { namespace } : {}) }, p)));
    if (!job) {
      this.expectations.forget(key);
      return;
    }
    const podRef: ResourceRef = { ...PODS, ...(namespace ? { namespace } : {}) };
    const jobRef: ResourceRef = { ...JOBS, ...(namespace ? { namespace } : {}) };
    // Another controller (spec.managedBy, e.g. a multi-cluster queue) owns this job's status.
    const managedBy = (job.spec as { managedBy?: string } | undefined)?.managedBy;
    if (managedBy && managedBy !== JOB_CONTROLLER_NAME) return;
    const pods = this.pods.byIndex('job', job.metadata?.uid ?? '');

    if (isFinished(job) || job.metadata?.deletionTimestamp) {
      // Nothing more is counted: free every pod still held by the tracking finalizer.
      await Promise.all(pods.filter(hasFinalizer).map((p) => this.removeFinalizer(podRef, p)));
      if (isFinished(job)) await this.expireAfterTtl(key, jobRef, job);
      return;
    }
    pods.push(...(await this.adoptOrphans(job, podRef)));

    const now = this.ctx.now();
    const nowText = timestamp(now);
    const spec = job.spec ?? {};
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? null;
    const status: JobStatus = structuredClone(job.status ?? {});
    const uncountedSucceeded = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
    const uncountedFailed = new Set(status.uncountedTerminatedPods?.failed ?? []);
    const completed = indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : new Set<number>();
    // backoffLimitPerIndex: indexes out of retries, and failures so far per index.
    const perIndex = indexed && spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null;
    const failedIdx = perIndex ? parseIndexes(status.failedIndexes, completions ?? 0) : new Set<number>();
    const indexFailures = new Map<number, number>();
    if (perIndex) {
      for (const pod of pods) {
        const i = podIndex(pod);
        if (i === undefined) continue;
        const failedHere = pod.status?.phase === 'Failed' || (pod.metadata?.deletionTimestamp !== undefined && pod.status?.phase !== 'Succeeded' && !this.deletedByUs.has(pod.metadata.uid ?? ''));
        indexFailures.set(i, Math.max(indexFailures.get(i) ?? 0, indexFailuresBefore(pod) + (failedHere ? 1 : 0)));
      }
    }
    let failJob: string | undefined;

    // 1. Newly finished pods (still holding the finalizer) become uncounted.
    const release: PodLike[] = [];
    let newlyFailed = 0;
    for (const pod of pods) {
      if (!hasFinalizer(pod)) continue;
      const uid = pod.metadata?.uid ?? '';
      if (uncountedSucceeded.has(uid) || uncountedFailed.has(uid)) {
        release.push(pod);
        continue;
      }
      const deleting = pod.metadata?.deletionTimestamp !== undefined;
      if (pod.status?.phase === 'Succeeded') {
        const index = podIndex(pod);
        if (indexed && (index === undefined || index >= (completions ?? 0))) {
          release.push(pod);
          continue;
        }
        uncountedSucceeded.add(uid);
        if (index !== undefined && indexed) completed.add(index);
        release.push(pod);
      } else if (pod.status?.phase === 'Failed' || deleting) {
        if (deleting && pod.status?.phase !== 'Failed' && this.deletedByUs.has(uid)) {
          release.push(pod);
          continue;
        }
        const rule = pod.status?.phase === 'Failed' ? matchFailurePolicy(spec.podFailurePolicy?.rules, pod) : undefined;
        if (rule?.action === 'Ignore') {
          release.push(pod);
          continue;
        }
        if (rule?.action === 'FailJob') failJob = `Pod ${pod.metadata?.namespace}/${pod.metadata?.name} has a failure matching a FailJob rule of the pod failure policy`;
        const index = podIndex(pod);
        if (perIndex && index !== undefined && index < (completions ?? 0) && !completed.has(index)) {
          if (rule?.action === 'FailIndex' || (indexFailures.get(index) ?? 0) > (spec.backoffLimitPerIndex ?? 0)) failedIdx.add(index);
        }
        uncountedFailed.add(uid);
        newlyFailed++;
        release.push(pod);
      }
    }
    if (newlyFailed > 0) this.lastFailure.set(key, now.getTime());
    let current = job;
    const uncountedChanged = uncountedSucceeded.size !== (status.uncountedTerminatedPods?.succeeded?.length ?? 0) || uncountedFailed.size !== (status.uncountedTerminatedPods?.failed?.length ?? 0);
    if (uncountedChanged) {
      status.uncountedTerminatedPods = { succeeded: [...uncountedSucceeded], failed: [...uncountedFailed] };
      if (indexed) status.completedIndexes = formatIndexes(completed);
      if (perIndex) status.failedIndexes = formatIndexes(failedIdx);
      current = await this.writeStatus(jobRef, current, status);
    }

    // 2. Finalizers off; 3. what is off moves into the counters.
    const freed = new Set<string>();
    await Promise.all(release.map(async (p) => {
      await this.removeFinalizer(podRef, p);
      freed.add(p.metadata?.uid ?? '');
    }));
    const present = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    const counted = (uid: string): boolean => freed.has(uid) || !present.has(uid) || !hasFinalizer(present.get(uid) as PodLike);
    for (const uid of [...uncountedSucceeded]) {
      if (!counted(uid)) continue;
      uncountedSucceeded.delete(uid);
      if (!indexed) status.succeeded = (status.succeeded ?? 0) + 1;
    }
    for (const uid of [...uncountedFailed]) {
      if (!counted(uid)) continue;
      uncountedFailed.delete(uid);
      status.failed = (status.failed ?? 0) + 1;
    }
    status.uncountedTerminatedPods = { succeeded: [...uncountedSucceeded], failed: [...uncountedFailed] };
    if (indexed) {
      status.completedIndexes = formatIndexes(completed);
      status.succeeded = completed.size;
    }

    const succeeded = indexed ? completed.size : (status.succeeded ?? 0) + uncountedSucceeded.size;
    const failed = (status.failed ?? 0) + uncountedFailed.size;
    let active = pods.filter(isPodActive);
    let conditions = status.conditions ?? [];

    // Terminal decisions, first as targets (pods still to be cleaned up), then final.
    if (!hasCondition(job, 'FailureTarget') && !hasCondition(job, 'SuccessCriteriaMet')) {
      const restarts = spec.template?.spec?.['restartPolicy'] === 'OnFailure' ? active.reduce((n, p) => n + restartCount(p), 0) : 0;
      const deadline = spec.activeDeadlineSeconds !== undefined && status.startTime ? Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
      let failure: [string, string] | undefined;
      const successRule = indexed ? successPolicyMet(spec.successPolicy?.rules, completed, completions ?? 0) : undefined;
      if (failJob) failure = ['PodFailurePolicy', failJob];
      else if (perIndex && spec.maxFailedIndexes !== undefined && failedIdx.size > spec.maxFailedIndexes) failure = ['MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes'];
      else if (failed + restarts > (spec.backoffLimit ?? 6)) failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
      else if (deadline !== undefined && !spec.suspend && now.getTime() >= deadline) failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
      const done = indexed ? completed.size >= (completions ?? 0) : completions !== null ? succeeded >= completions : succeeded > 0 && active.length === 0;
      // Every index settled, some of them failed: the job fails once nothing is left to run.
      if (!failure && !done && perIndex && failedIdx.size > 0 && completed.size + failedIdx.size >= (completions ?? 0)) failure = ['FailedIndexes', 'Job has failed indexes'];
      if (failure) conditions = setJobCondition(conditions, 'FailureTarget', 'True', failure[0], failure[1], nowText);
      else if (successRule !== undefined && !done) conditions = setJobCondition(conditions, 'SuccessCriteriaMet', 'True', 'SuccessPolicy', `Matched rules at index ${successRule}`, nowText);
      else if (done) conditions = setJobCondition(conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', nowText);
      else if (deadline !== undefined && !spec.suspend) this.queue.addAfter(key, deadline - now.getTime() + 10);
    }
    const target = conditions.find((c) => (c.type === 'FailureTarget' || c.type === 'SuccessCriteriaMet') && c.status === 'True');
    if (target) {
      active = await this.deletePods(key, podRef, current, active, active.length, target.type === 'SuccessCriteriaMet');
      const stillRunning = pods.some((p) => !isTerminal(p) && hasFinalizer(p) && !freed.has(p.metadata?.uid ?? ''));
      if (active.length === 0 && !stillRunning) {
        if (target.type === 'FailureTarget') {
          conditions = setJobCondition(conditions, 'Failed', 'True', target.reason ?? '', target.message ?? '', nowText);
          void this.ctx.events.event(job, 'Warning', target.reason ?? 'Failed', target.message ?? '');
        } else {
          conditions = setJobCondition(conditions, 'Complete', 'True', target.reason ?? '', target.message ?? '', nowText);
          status.completionTime = nowText;
          void this.ctx.events.event(job, 'Normal', 'Completed', 'Job completed');
        }
      }
    } else if (spec.suspend) {
      active = await this.deletePods(key, podRef, current, active, active.length, true);
      if (!hasCondition(job, 'Suspended')) {
        conditions = setJobCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', nowText);
        void this.ctx.events.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
    } else {
      if (hasCondition(job, 'Suspended')) {
        conditions = setJobCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', nowText);
        status.startTime = nowText;
        void this.ctx.events.event(job, 'Normal', 'Resumed', 'Job resumed');
      }
      status.startTime ??= nowText;
      if (spec.activeDeadlineSeconds !== undefined) this.queue.addAfter(key, Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - now.getTime() + 10);
      active = await this.manage(key, podRef, current, active, { indexed, completions, succeeded, completed, failed, failedIdx, indexFailures: perIndex ? indexFailures : undefined });
    }

    status.conditions = conditions;
    status.active = active.length;
    status.ready = active.filter(isPodReady).length;
    status.terminating = pods.filter((p) => p.metadata?.deletionTimestamp && !isTerminal(p) && !freed.has(p.metadata.uid ?? '')).length;
    status.succeeded ??= 0;
    status.failed ??= 0;
    current = await this.writeStatus(jobRef, current, status);
    if (isFinished(current)) await this.expireAfterTtl(key, jobRef, current);
  }

  /** Running pods without a controller that match the job's selector become its pods (upstream's adoption). */
  private async adoptOrphans(job: Job, podRef: ResourceRef): Promise<PodLike[]> {
    const selector = labelSelectorFromObject(job.spec?.selector);
    if (selector.empty) return [];
    const owner: OwnerReference = { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name ?? '', uid: job.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
    const adopted: PodLike[] = [];
    for (const pod of this.pods.list()) {
      if (pod.metadata?.namespace !== job.metadata?.namespace || controllerOf(pod) || pod.metadata?.deletionTimestamp || isTerminal(pod)) continue;
      if (!selector.matches(pod.metadata?.labels)) continue;
      try {
        adopted.push(await this.ctx.client.patch<PodLike>(podRef, pod.metadata?.name ?? '', 'merge', { metadata: { ownerReferences: [...(pod.metadata?.ownerReferences ?? []), owner], uid: pod.metadata?.uid } }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return adopted;
  }

  /** Creates missing pods and deletes surplus ones; returns the pods left active. */
  private async manage(
    key: string,
    podRef: ResourceRef,
    job: Job,
    active: PodLike[],
    s: { indexed: boolean; completions: number | null; succeeded: number; completed: Set<number>; failed: number; failedIdx: Set<number>; indexFailures: Map<number, number> | undefined },
  ): Promise<PodLike[]> {
    const parallelism = job.spec?.parallelism ?? 1;
    let want: number;
    if (s.indexed) want = Math.min(parallelism, (s.completions ?? 0) - s.completed.size - s.failedIdx.size);
    else if (s.completions === null) want = s.succeeded > 0 ? 0 : parallelism;
    else want = Math.min(parallelism, s.completions - s.succeeded);
    want = Math.max(0, want);

    if (s.indexed) {
      // A finished index, an index out of range, or a second pod of an index is surplus.
      const seen = new Set<number>();
      const surplus: PodLike[] = [];
      for (const pod of [...active].sort((a, b) => podRank(b, a))) {
        const i = podIndex(pod);
        if (i === undefined || i >= (s.completions ?? 0) || s.completed.has(i) || s.failedIdx.has(i) || seen.has(i)) surplus.push(pod);
        else seen.add(i);
      }
      if (surplus.length > 0) active = await this.deleteThese(key, podRef, job, active, surplus);
    }
    if (active.length > want) return this.deletePods(key, podRef, job, active, active.length - want, true);
    if (active.length >= want || !this.expectations.satisfied(key)) return active;

    const failures = s.failed;
    const since = this.lastFailure.get(key);
    if (failures > 0 && since !== undefined) {
      const delay = Math.min(MAX_BACKOFF_MS, this.podBackoffMs * 2 ** Math.max(0, failures - 1));
      const wait = since + delay - this.ctx.now().getTime();
      if (wait > 0) {
        this.queue.addAfter(key, wait);
        return active;
      }
    }
    let indexes: (number | undefined)[];
    if (s.indexed) {
      const running = new Set(active.map(podIndex));
      indexes = [];
      for (let i = 0; i < (s.completions ?? 0) && indexes.length < want - active.length; i++) if (!s.completed.has(i) && !s.failedIdx.has(i) && !running.has(i)) indexes.push(i);
    } else indexes = Array.from({ length: want - active.length }, () => undefined);
    await this.createPods(key, podRef, job, indexes, s.indexFailures);
    return active;
  }

  private podFor(job: Job, index: number | undefined, indexFailures?: Map<number, number>): PodLike {
    const name = job.metadata?.name ?? '';
    const tpl = job.spec?.template ?? {};
    const spec = structuredClone(tpl.spec ?? {});
    const labels: Record<string, string> = { ...tpl.metadata?.labels };
    const annotations: Record<string, string> = { ...tpl.metadata?.annotations };
    if (index !== undefined) {
      labels[COMPLETION_INDEX] = String(index);
      annotations[COMPLETION_INDEX] = String(index);
      if (indexFailures) annotations[INDEX_FAILURE_COUNT] = String(indexFailures.get(index) ?? 0);
      spec['hostname'] ??= `${name}-${index}`;
      // Every container learns its index as upstream exposes it.
      for (const field of ['containers', 'initContainers']) {
        for (const c of (spec[field] as { env?: Record<string, unknown>[] }[] | undefined) ?? []) {
          if (c.env?.some((e) => e['name'] === 'JOB_COMPLETION_INDEX')) continue;
          c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } }];
        }
      }
    }
    const owner: OwnerReference = { apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: index !== undefined ? `${name}-${index}-` : `${name}-`,
        namespace: job.metadata?.namespace ?? '',
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        finalizers: [TRACKING_FINALIZER],
        ownerReferences: [owner],
      },
      spec,
    };
  }

  private async createPods(key: string, podRef: ResourceRef, job: Job, indexes: (number | undefined)[], indexFailures?: Map<number, number>): Promise<void> {
    this.expectations.expect(key, indexes.length);
    // Slow start, as upstream: batches of 1, 2, 4, ... stopping at the first failure.
    let next = 0;
    for (let batch = 1; next < indexes.length; batch *= 2) {
      const chunk = indexes.slice(next, next + batch);
      next += chunk.length;
      const results = await Promise.allSettled(chunk.map((i) => this.ctx.client.create<PodLike>(podRef, this.podFor(job, i, indexFailures))));
      for (const r of results) if (r.status === 'fulfilled') void this.ctx.events.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) {
        this.expectations.creationsFailed(key, failed.length + (indexes.length - next));
        const message = failed[0]?.reason instanceof Error ? failed[0].reason.message : String(failed[0]?.reason);
        void this.ctx.events.event(job, 'Warning', 'FailedCreate', `Error creating: ${message}`);
        throw new Error(`creating pods of job ${key}: ${message}`, { cause: failed[0]?.reason });
      }
    }
  }

  /** Deletes the `count` pods upstream would pick first; returns the pods left active. */
  private deletePods(key: string, podRef: ResourceRef, job: Job, active: PodLike[], count: number, notFailures = false): Promise<PodLike[]> {
    if (count <= 0) return Promise.resolve(active);
    return this.deleteThese(key, podRef, job, active, [...active].sort(podRank).slice(0, count), notFailures);
  }

  private async deleteThese(key: string, podRef: ResourceRef, job: Job, active: PodLike[], victims: PodLike[], notFailures = true): Promise<PodLike[]> {
    this.expectations.raise(key, 0, victims.map((p) => p.metadata?.uid ?? ''));
    if (notFailures) for (const p of victims) this.deletedByUs.add(p.metadata?.uid ?? '');
    await Promise.all(victims.map(async (pod) => {
      try {
        await this.ctx.client.delete(podRef, pod.metadata?.name ?? '', { preconditions: { uid: pod.metadata?.uid ?? '' } });
        void this.ctx.events.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
      } catch (err) {
        this.expectations.deletionObserved(key, pod.metadata?.uid ?? '');
        if (!isNotFound(err)) throw err;
      }
    }));
    const gone = new Set(victims);
    return active.filter((p) => !gone.has(p));
  }

  private async removeFinalizer(podRef: ResourceRef, pod: PodLike): Promise<void> {
    const finalizers = (pod.metadata?.finalizers ?? []).filter((f) => f !== TRACKING_FINALIZER);
    try {
      await this.ctx.client.patch(podRef, pod.metadata?.name ?? '', 'merge', { metadata: { finalizers: orNull(finalizers), uid: pod.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.deletedByUs.delete(pod.metadata?.uid ?? '');
  }

  private async writeStatus(jobRef: ResourceRef, job: Job, status: JobStatus): Promise<Job> {
    const clean: JobStatus = { ...status };
    const u = clean.uncountedTerminatedPods;
    if (u && !u.succeeded?.length && !u.failed?.length) clean.uncountedTerminatedPods = {};
    if (!clean.completedIndexes) delete clean.completedIndexes;
    if (clean.failedIndexes === undefined) delete clean.failedIndexes;
    if (!clean.conditions?.length) delete clean.conditions;
    if (JSON.stringify(sortKeys(clean)) === JSON.stringify(sortKeys(job.status ?? {}))) return job;
    try {
      return await this.ctx.client.update<Job>(jobRef, { ...job, status: clean }, { subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return job;
      throw err;
    }
  }

  /** ttlSecondsAfterFinished: delete the job (and, in the foreground, its pods) once it expires. */
  private async expireAfterTtl(key: string, jobRef: ResourceRef, job: Job): Promise<void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp) return;
    const finished = finishTime(job);
    if (finished === undefined) return;
    const wait = finished + ttl * 1000 - this.ctx.now().getTime();
    if (wait > 0) {
      this.queue.addAfter(key, wait + 10);
      return;
    }
    try {
      await this.ctx.client.delete(jobRef, job.metadata?.name ?? '', { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata?.uid ?? '' } });
      this.ctx.log.info({ job: key }, 'deleted finished job after ttlSecondsAfterFinished');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}
