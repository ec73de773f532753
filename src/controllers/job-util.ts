/**
 * Pure pieces of the job controller: the Job shape it reads, completed-index sets in the API's
 * "0-2,4" interval form, conditions as the 1.32 controller writes them, and the pod failure
 * policy's first matching rule.
 */
import type { KubeObject } from '../api/types.js';
import type { PodLike } from './pods.js';

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** Failures of the pod's index before this pod (backoffLimitPerIndex). */
export const INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';

export interface PodFailurePolicyRule {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  onExitCodes?: { containerName?: string; operator: 'In' | 'NotIn'; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

export interface SuccessPolicyRule {
  succeededIndexes?: string;
  succeededCount?: number;
}

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  completionMode?: 'NonIndexed' | 'Indexed';
  suspend?: boolean;
  ttlSecondsAfterFinished?: number;
  selector?: unknown;
  podFailurePolicy?: { rules?: PodFailurePolicyRule[] };
  successPolicy?: { rules?: SuccessPolicyRule[] };
  backoffLimitPerIndex?: number;
  maxFailedIndexes?: number;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

export interface JobCondition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

export interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  conditions?: JobCondition[];
}

export type Job = KubeObject & { spec?: JobSpec; status?: JobStatus };

export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Parses "0-2,4,7-8" into a sorted set of indexes (malformed parts are ignored, as upstream). */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    for (let i = from; i <= to && i < completions; i++) out.add(i);
  }
  return out;
}

/** The API's interval form of an index set: consecutive runs collapse to "a-b". */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The completion index a pod runs, from its annotation (or label); undefined if absent/invalid. */
export function podIndex(pod: KubeObject): number | undefined {
  const raw = pod.metadata?.annotations?.[COMPLETION_INDEX] ?? pod.metadata?.labels?.[COMPLETION_INDEX];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

export function hasCondition(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Finished: a Complete or Failed condition is True. */
export function isFinished(job: Job): boolean {
  return hasCondition(job, 'Complete') || hasCondition(job, 'Failed');
}

/** When the job finished (for ttlSecondsAfterFinished): completionTime or the terminal condition's transition. */
export function finishTime(job: Job): number | undefined {
  if (job.status?.completionTime) return Date.parse(job.status.completionTime);
  const c = (job.status?.conditions ?? []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c ? Date.parse(c.lastTransitionTime) : undefined;
}

/** Sets a condition; the transition time moves only when the status changes. */
export function setJobCondition(conditions: JobCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): JobCondition[] {
  const existing = conditions.find((c) => c.type === type);
  if (existing && existing.status === status && existing.reason === reason && existing.message === message) return conditions;
  const transition = existing && existing.status === status ? existing.lastTransitionTime : now;
  const next: JobCondition = { type, status, reason, message, lastProbeTime: now, lastTransitionTime: transition };
  return existing ? conditions.map((c) => (c === existing ? next : c)) : [...conditions, next];
}

/** Sum of container restarts: with restartPolicy OnFailure they count against backoffLimit. */
export function restartCount(pod: PodLike): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

interface TerminatedState {
  name?: string;
  state?: { terminated?: { exitCode?: number } };
  lastState?: { terminated?: { exitCode?: number } };
}

/** The first pod failure policy rule matching a failed pod, as upstream evaluates them in order. */
export function matchFailurePolicy(rules: readonly PodFailurePolicyRule[] | undefined, pod: PodLike): PodFailurePolicyRule | undefined {
  const statuses = ((pod.status ?? {}) as { containerStatuses?: TerminatedState[]; initContainerStatuses?: TerminatedState[] }).containerStatuses ?? [];
  for (const rule of rules ?? []) {
    if (rule.onExitCodes) {
      const { containerName, operator, values } = rule.onExitCodes;
      const hit = statuses.some((s) => {
        if (containerName && s.name !== containerName) return false;
        const code = s.state?.terminated?.exitCode;
        if (code === undefined || code === 0) return false;
        return operator === 'In' ? values.includes(code) : !values.includes(code);
      });
      if (hit) return rule;
    } else if (rule.onPodConditions) {
      const conditions = pod.status?.conditions ?? [];
      if (rule.onPodConditions.some((p) => conditions.some((c) => c.type === p.type && c.status === (p.status ?? 'True')))) return rule;
    }
  }
  return undefined;
}

/**
 * The first success policy rule the succeeded indexes meet (its position), or undefined. A rule
 * with succeededIndexes needs all of them, or succeededCount of them; one with only
 * succeededCount needs that many indexes in total.
 */
export function successPolicyMet(rules: readonly SuccessPolicyRule[] | undefined, succeeded: ReadonlySet<number>, completions: number): number | undefined {
  for (const [i, rule] of (rules ?? []).entries()) {
    if (rule.succeededIndexes !== undefined) {
      const wanted = parseIndexes(rule.succeededIndexes, completions);
      const hits = [...wanted].filter((x) => succeeded.has(x)).length;
      if (rule.succeededCount !== undefined ? hits >= rule.succeededCount : wanted.size > 0 && hits === wanted.size) return i;
    } else if (rule.succeededCount !== undefined && succeeded.size >= rule.succeededCount) return i;
  }
  return undefined;
}

/** Failures recorded against a pod's index before it ran (its annotation). */
export function indexFailuresBefore(pod: KubeObject): number {
  const n = Number(pod.metadata?.annotations?.[INDEX_FAILURE_COUNT] ?? '0');
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
