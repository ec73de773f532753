/**
 * The pure parts of the deployment controller: template hashing, revisions, surge and
 * unavailability arithmetic, and the status conditions `kubectl rollout status` reads.
 */
import type { KubeObject } from '../api/types.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';
/** Deployment annotations that are not copied to its ReplicaSets. */
const NOT_COPIED = new Set([REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, 'kubectl.kubernetes.io/last-applied-configuration']);

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } & Record<string, unknown>;
  spec?: Record<string, unknown>;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  template?: PodTemplate;
  strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

export type Deployment = KubeObject & { spec?: DeploymentSpec; status?: Record<string, unknown> };
export type ReplicaSet = KubeObject & {
  spec?: { replicas?: number; minReadySeconds?: number; selector?: DeploymentSpec['selector']; template?: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number };
};

/** JSON with sorted keys, so equal objects print equal. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** A short, stable, DNS-safe hash of the pod template (FNV-1a 32, digits mapped like upstream's SafeEncodeString). */
export function templateHash(template: PodTemplate | undefined, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonical(template ?? {}) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
}

/** The template without the pod-template-hash label, for comparing a ReplicaSet to its deployment. */
function withoutHash(template: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

export function sameTemplate(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return canonical(withoutHash(a)) === canonical(withoutHash(b));
}

export function revisionOf(object: KubeObject): number {
  const n = Number(object.metadata?.annotations?.[REVISION] ?? '0');
  return Number.isFinite(n) ? n : 0;
}

/** maxSurge / maxUnavailable for `replicas` (surge rounds up, unavailable down; never both 0). */
export function surgeAndUnavailable(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  if (d.spec?.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: replicas };
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const resolve = (v: number | string | undefined, fallback: string, up: boolean): number => {
    const value = v ?? fallback;
    if (typeof value === 'number') return value;
    const m = /^(\d+)%$/.exec(value);
    if (!m) return Number(value) || 0;
    const exact = (Number(m[1]) * replicas) / 100;
    return up ? Math.ceil(exact) : Math.floor(exact);
  };
  const maxSurge = resolve(ru.maxSurge, '25%', true);
  let maxUnavailable = resolve(ru.maxUnavailable, '25%', false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

export function annotationsForReplicaSet(d: Deployment, revision: number, previous?: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!NOT_COPIED.has(k)) out[k] = v;
  const { maxSurge } = surgeAndUnavailable(d);
  const replicas = d.spec?.replicas ?? 1;
  out[REVISION] = String(revision);
  out[DESIRED_REPLICAS] = String(replicas);
  out[MAX_REPLICAS] = String(replicas + maxSurge);
  const old = previous?.[REVISION];
  if (old && old !== String(revision)) out[REVISION_HISTORY] = [previous?.[REVISION_HISTORY], old].filter(Boolean).join(',');
  else if (previous?.[REVISION_HISTORY]) out[REVISION_HISTORY] = previous[REVISION_HISTORY];
  return out;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

/** Sets `condition` in `conditions`: lastTransitionTime kept when the status did not change. */
export function setCondition(conditions: Condition[], next: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>, now: string): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  if (existing && existing.status === next.status && existing.reason === next.reason && existing.message === next.message) return conditions;
  const transition = existing && existing.status === next.status ? existing.lastTransitionTime : now;
  return [...conditions.filter((c) => c.type !== next.type), { ...next, lastUpdateTime: now, lastTransitionTime: transition }];
}
