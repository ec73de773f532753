/** Pure pieces of the StatefulSet controller: the shape it reads, ordinals, pod and claim identity. */
import type { KubeObject } from '../api/types.js';
import type { PodTemplate } from './deployment-util.js';
import type { PodLike } from './pods.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export interface ClaimTemplate {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export interface StatefulSetSpec {
  replicas?: number;
  selector?: unknown;
  serviceName?: string;
  template?: PodTemplate;
  volumeClaimTemplates?: ClaimTemplate[];
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  ordinals?: { start?: number };
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: 'Retain' | 'Delete'; whenScaled?: 'Retain' | 'Delete' };
}

export type StatefulSet = KubeObject & { spec?: StatefulSetSpec; status?: Record<string, unknown> };

/** The ordinal of a pod named <set>-<n>, or undefined if the name is not of that form. */
export function ordinalOf(setName: string, podName: string | undefined): number | undefined {
  if (!podName?.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function claimName(template: ClaimTemplate, setName: string, ordinal: number): string {
  return `${template.metadata?.name ?? ''}-${setName}-${ordinal}`;
}

/** Running with a Ready condition: what OrderedReady waits for before the next ordinal. */
export function isRunningAndReady(pod: PodLike): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isFailedOrSucceeded(pod: PodLike): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}
