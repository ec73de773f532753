/**
 * Pure pieces of the DaemonSet controller: which node a daemon pod targets, whether a node should
 * run the set's pod (the scheduler's own node selector, affinity and taint predicates, with the
 * tolerations every daemon pod gets), the pod pinned to a node, and rolling-update budgets.
 */
import type { KubeObject } from '../api/types.js';
import { matchesNodeSelectorAndAffinity, untoleratedTaint, type Toleration } from '../scheduler/predicates.js';
import type { PodTemplate } from './deployment-util.js';
import type { PodLike } from './pods.js';

export interface DaemonSetSpec {
  selector?: unknown;
  template?: PodTemplate;
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}
export type DaemonSet = KubeObject & { spec?: DaemonSetSpec; status?: Record<string, unknown> };

/** The deprecated label upstream still sets on daemon pods. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** What upstream adds to every daemon pod so node conditions do not evict or block it. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const out: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) out.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return out;
}

/** The node a daemon pod is for: spec.nodeName once bound, else its matchFields metadata.name affinity. */
export function targetNode(pod: PodLike): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = (pod.spec as { affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchFields?: { key: string; operator: string; values?: string[] }[] }[] } } } } | undefined)?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/** The pod the set runs on `nodeName`: the template pinned to the node by a matchFields affinity (the scheduler binds it). */
export function podForNode(ds: DaemonSet, nodeName: string, hash: string): PodLike {
  const tpl = ds.spec?.template ?? {};
  const spec = structuredClone(tpl.spec ?? {}) as Record<string, unknown> & { tolerations?: Toleration[]; affinity?: Record<string, unknown>; hostNetwork?: boolean };
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of daemonTolerations(spec.hostNetwork === true)) {
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  }
  spec.tolerations = tolerations;
  const affinity = { ...(spec.affinity ?? {}) };
  affinity['nodeAffinity'] = {
    ...((affinity['nodeAffinity'] as Record<string, unknown> | undefined) ?? {}),
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] },
  };
  spec.affinity = affinity;
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata?.name}-`,
      namespace: ds.metadata?.namespace ?? '',
      labels: { ...tpl.metadata?.labels, 'controller-revision-hash': hash, [TEMPLATE_GENERATION_LABEL]: String(ds.metadata?.generation ?? 1) },
      ...(tpl.metadata?.annotations ? { annotations: { ...tpl.metadata.annotations } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata?.name ?? '', uid: ds.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
  return pod as PodLike;
}

/** Should `node` run the set's pod: node selector, required node affinity, and taints (NoSchedule/NoExecute) all allow it. */
export function shouldRunOn(ds: DaemonSet, node: KubeObject): boolean {
  const pod = podForNode(ds, node.metadata?.name ?? '', '');
  // The template's own affinity decides, not the pin just added.
  (pod.spec as Record<string, unknown>)['affinity'] = ds.spec?.template?.spec?.['affinity'];
  if (!matchesNodeSelectorAndAffinity(pod, node)) return false;
  return untoleratedTaint(pod, node, ['NoSchedule', 'NoExecute']) === undefined;
}

/** An int-or-percent of `total`, rounded up as upstream does for daemon sets. */
export function scaled(value: number | string | undefined, total: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number(value) || 0;
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** maxSurge and maxUnavailable for `desired` nodes; never both zero. */
export function rollingBudget(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  const maxSurge = scaled(ru.maxSurge, desired, 0);
  let maxUnavailable = scaled(ru.maxUnavailable, desired, 1);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}
