/**
 * CronJob controller: creates a Job from spec.jobTemplate at each scheduled time (named
 * <cronjob>-<scheduled time in minutes since the epoch>, so a time is never run twice), honours
 * startingDeadlineSeconds, concurrencyPolicy (Allow, Forbid, Replace) and suspend, keeps
 * status.active / lastScheduleTime / lastSuccessfulTime, prunes finished jobs beyond the history
 * limits, and requeues itself for the next scheduled time instead of polling.
 */
import type { KubeObject, OwnerReference } from '../api/types.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isAlreadyExists, isNotFound, type ResourceRef } from '../client/types.js';
import { QueueController, type ControllerContext } from './controller.js';
import { CronParseError, mostRecent, parseCron } from '../api/cron.js';
import { hasCondition, isFinished, timestamp, type Job } from './job-util.js';
import { controllerOf } from './pods.js';

const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs' } as const;
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;
export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Without spec.timeZone a schedule is read in the controller manager's own zone, as upstream. */
// Resolved on first use: ICU's time-zone set-up costs ~25 ms, which every server start paid at
// module load even with no CronJob.
let hostZoneName: string | undefined;
const hostZone = (): string => (hostZoneName ??= Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
/** Upstream warns (TooManyMissedTimes) past this many missed start times. */
const MISSED_CAP = 100;

interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

interface CronJobSpec {
  schedule?: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  suspend?: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}
interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}
type CronJob = KubeObject & { spec?: CronJobSpec; status?: CronJobStatus };

export interface CronJobControllerOptions {
  /** The clock schedules are evaluated against (tests move it); defaults to the context's. */
  readonly now?: () => Date;
}

/** Oldest first, as upstream prunes history: by start time, then by name. */
function jobTime(job: Job, field: 'startTime' | 'completionTime'): number {
  return Date.parse(job.status?.[field] ?? job.metadata?.creationTimestamp ?? '') || 0;
}

export class CronJobController extends QueueController {
  readonly name = 'cronjob-controller';
  private cronJobs!: Informer<CronJob>;
  private jobs!: Informer<Job>;

  constructor(private readonly options: CronJobControllerOptions = {}) {
    super();
  }

  private now(): Date {
    return this.options.now?.() ?? this.ctx.now();
  }

  protected register(ctx: ControllerContext): void {
    this.cronJobs = ctx.informers.for<CronJob>(CRONJOBS);
    this.jobs = ctx.informers.for<Job>(JOBS);
    this.jobs.addIndex('cronjob', (job) => {
      const owner = controllerOf(job);
      return owner?.kind === 'CronJob' ? [owner.uid] : [];
    });
    this.cronJobs.addHandlers({ onAdd: (cj) => this.queue.add(objectKey(cj)), onUpdate: (cj) => this.queue.add(objectKey(cj)) });
    const enqueueOwner = (job: Job): void => {
      const owner = controllerOf(job);
      if (owner?.kind === 'CronJob') this.queue.add(`${job.metadata?.namespace}/${owner.name}`);
    };
    this.jobs.addHandlers({ onAdd: enqueueOwner, onUpdate: enqueueOwner, onDelete: enqueueOwner });
  }

  protected async reconcile(key: string): Promise<void> {
    const cj = this.cronJobs.get(key);
    if (!cj || cj.metadata?.deletionTimestamp) return;
    const { namespace } = splitKey(key);
    const jobRef: ResourceRef = { ...JOBS, ...(namespace ? { namespace } : {}) };
    const now = this.now();
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    const owned = this.jobs.byIndex('cronjob', cj.metadata?.uid ?? '');
    let active = [...(status.active ?? [])];

    // Reconcile status.active with the jobs that exist.
    for (const job of owned) {
      const listed = active.some((r) => r.uid === job.metadata?.uid);
      if (!isFinished(job) && !listed && !job.metadata?.deletionTimestamp) active.push(this.reference(job));
      if (isFinished(job) && listed) {
        active = active.filter((r) => r.uid !== job.metadata?.uid);
        const type = hasCondition(job, 'Complete') ? 'Complete' : 'Failed';
        void this.ctx.events.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata?.name}, condition: ${type}`);
      }
      if (hasCondition(job, 'Complete') && job.status?.completionTime) {
        if (!status.lastSuccessfulTime || Date.parse(status.lastSuccessfulTime) < Date.parse(job.status.completionTime)) status.lastSuccessfulTime = job.status.completionTime;
      }
    }
    active = active.filter((r) => {
      if (owned.some((j) => j.metadata?.uid === r.uid)) return true;
      void this.ctx.events.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${r.name}`);
      return false;
    });
    status.active = active;

    await this.cleanupHistory(cj, jobRef, owned.filter((j) => isFinished(j) && !j.metadata?.deletionTimestamp));
    await this.scheduleJob(key, cj, jobRef, status, now);
    await this.writeStatus(cj, status);
  }

  /** Runs the most recent missed schedule if it is due (recording it in `status`); requeues for the next one. */
  private async scheduleJob(key: string, cj: CronJob, jobRef: ResourceRef, status: CronJobStatus, now: Date): Promise<void> {
    const spec = cj.spec ?? {};
    if (spec.suspend) return;
    let schedule;
    try {
      schedule = parseCron(spec.schedule ?? '', spec.timeZone ?? hostZone());
    } catch (err) {
      if (!(err instanceof CronParseError)) throw err;
      const reason = err.message.startsWith('unknown time zone') ? 'UnknownTimeZone' : 'UnparseableSchedule';
      void this.ctx.events.event(cj, 'Warning', reason, `invalid schedule: ${spec.schedule}: ${err.message}`);
      return; // Retrying cannot fix it; an update of the CronJob requeues it.
    }
    const requeueNext = (): void => {
      const next = schedule.next(now);
      if (next) this.queue.addAfter(key, next.getTime() - now.getTime() + 100);
    };
    const created = Date.parse(cj.metadata?.creationTimestamp ?? '') || now.getTime();
    let earliest = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : created;
    if (spec.startingDeadlineSeconds !== undefined) earliest = Math.max(earliest, now.getTime() - spec.startingDeadlineSeconds * 1000);
    const { time, missed } = mostRecent(schedule, new Date(earliest), now, MISSED_CAP);
    if (missed > MISSED_CAP) void this.ctx.events.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    requeueNext();
    if (!time) {
      // The deadline may have hidden a time that was missed; say so once, as upstream does.
      const unbounded = mostRecent(schedule, new Date(status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : created), now, 1);
      if (unbounded.time && spec.startingDeadlineSeconds !== undefined) {
        void this.ctx.events.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${unbounded.time.toUTCString().replace('GMT', '+0000')}`);
      }
      return;
    }
    const name = `${cj.metadata?.name}-${Math.floor(time.getTime() / 60_000)}`;
    if ((status.active ?? []).some((r) => r.name === name) || this.jobs.get(`${cj.metadata?.namespace}/${name}`)) return;
    const policy = spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && (status.active ?? []).length > 0) {
      void this.ctx.events.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return;
    }
    if (policy === 'Replace') {
      for (const ref of status.active ?? []) {
        await this.deleteJob(cj, jobRef, ref.name ?? '', ref.uid);
      }
      status.active = [];
    }
    const job = this.jobFor(cj, name, time);
    let made: Job;
    try {
      made = await this.ctx.client.create<Job>(jobRef, job);
      void this.ctx.events.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        void this.ctx.events.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
      made = await this.ctx.client.get<Job>(jobRef, name);
      if (controllerOf(made)?.uid !== cj.metadata?.uid) return;
    }
    status.active = [...(status.active ?? []).filter((r) => r.uid !== made.metadata?.uid), this.reference(made)];
    status.lastScheduleTime = timestamp(time);
    return;
  }

  private jobFor(cj: CronJob, name: string, scheduled: Date): Job {
    const tpl = cj.spec?.jobTemplate ?? {};
    const owner: OwnerReference = { apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata?.name ?? '', uid: cj.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata?.namespace ?? '',
        ...(tpl.metadata?.labels ? { labels: { ...tpl.metadata.labels } } : {}),
        annotations: { ...tpl.metadata?.annotations, [SCHEDULED_TIMESTAMP]: zonedTimestamp(scheduled, cj.spec?.timeZone ?? hostZone()) },
        ownerReferences: [owner],
      },
      spec: structuredClone(tpl.spec ?? {}),
    };
  }

  private reference(job: Job): ObjectReference {
    return { kind: 'Job', namespace: job.metadata?.namespace ?? '', name: job.metadata?.name ?? '', uid: job.metadata?.uid ?? '', apiVersion: 'batch/v1', resourceVersion: job.metadata?.resourceVersion ?? '' };
  }

  private async cleanupHistory(cj: CronJob, jobRef: ResourceRef, finished: Job[]): Promise<void> {
    const prune = async (jobs: Job[], limit: number | undefined): Promise<void> => {
      if (limit === undefined || limit === null) return;
      const sorted = [...jobs].sort((a, b) => jobTime(a, 'startTime') - jobTime(b, 'startTime') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      for (const job of sorted.slice(0, Math.max(0, sorted.length - limit))) await this.deleteJob(cj, jobRef, job.metadata?.name ?? '', job.metadata?.uid);
    };
    await prune(finished.filter((j) => hasCondition(j, 'Complete')), cj.spec?.successfulJobsHistoryLimit);
    await prune(finished.filter((j) => hasCondition(j, 'Failed')), cj.spec?.failedJobsHistoryLimit);
  }

  private async deleteJob(cj: CronJob, jobRef: ResourceRef, name: string, uid: string | undefined): Promise<void> {
    try {
      await this.ctx.client.delete(jobRef, name, { propagationPolicy: 'Background', ...(uid ? { preconditions: { uid } } : {}) });
      void this.ctx.events.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async writeStatus(cj: CronJob, status: CronJobStatus): Promise<void> {
    const strip = (s: CronJobStatus): string => JSON.stringify({ a: (s.active ?? []).map((r) => r.uid), l: s.lastScheduleTime, s: s.lastSuccessfulTime });
    if (strip(status) === strip(cj.status ?? {})) return;
    const next: CronJobStatus = { ...status };
    if (!next.active?.length) delete next.active;
    const { namespace } = splitKey(objectKey(cj));
    try {
      await this.ctx.client.update({ ...CRONJOBS, ...(namespace ? { namespace } : {}) }, { ...cj, status: next }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** RFC 3339 with the zone's offset, as upstream writes the scheduled-timestamp annotation. */
function zonedTimestamp(at: Date, zone: string): string {
  const parts: Record<string, string> = {};
  for (const p of new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(at)) parts[p.type] = p.value;
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offsetMin = Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const offset = offsetMin === 0 ? 'Z' : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}
