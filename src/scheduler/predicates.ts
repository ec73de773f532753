/**
 * Filters: can this pod run on this node? Each returns undefined (fits) or the reason upstream's
 * scheduler prints in "0/N nodes are available: <count> <reason>." so FailedScheduling events
 * and the PodScheduled condition read as they do upstream.
 */
import type { KubeObject } from '../api/types.js';
import { hostPorts, type NodeInfo } from './node-info.js';
import { nodeAllocatable, podRequests, RESOURCE_NAMES, type Resources } from './resources.js';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export function taintsOf(node: KubeObject): Taint[] {
  const taints = [...(((node.spec ?? {}) as { taints?: Taint[] }).taints ?? [])];
  // The node lifecycle controller taints nodes that are not Ready; until it has, treat them so.
  if (!isReady(node) && !taints.some((t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable')) {
    taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  }
  return taints;
}

export function isReady(node: KubeObject): boolean {
  const conditions = ((node.status ?? {}) as { conditions?: { type: string; status: string }[] }).conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.operator === 'Exists') return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

function podSpec(pod: KubeObject): {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: {
    nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } };
    podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] };
    podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] };
  };
} {
  return (pod.spec ?? {}) as ReturnType<typeof podSpec>;
}

export function untoleratedTaint(pod: KubeObject, node: KubeObject, effects: readonly string[] = ['NoSchedule', 'NoExecute']): Taint | undefined {
  const tolerations = podSpec(pod).tolerations ?? [];
  return taintsOf(node).find((t) => effects.includes(t.effect) && !tolerations.some((tol) => tolerates(tol, t)));
}

function matchRequirement(req: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (req.operator) {
    case 'In':
      return value !== undefined && (req.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(req.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(value);
      const bound = Number(req.values?.[0]);
      if (value === undefined || !Number.isInteger(n) || !Number.isInteger(bound)) return false;
      return req.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

export function matchesNodeSelectorTerm(term: NodeSelectorTerm, node: KubeObject): boolean {
  const labels = node.metadata?.labels ?? {};
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false; // an empty term matches nothing
  return exprs.every((r) => matchRequirement(r, labels[r.key])) && fields.every((r) => matchRequirement(r, r.key === 'metadata.name' ? node.metadata?.name : undefined));
}

export function matchesNodeSelectorAndAffinity(pod: KubeObject, node: KubeObject): boolean {
  const spec = podSpec(pod);
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => matchesNodeSelectorTerm(t, node))) return false;
  return true;
}

export function insufficient(pod: KubeObject, info: NodeInfo): string[] {
  const want = podRequests(pod);
  const alloc = nodeAllocatable(info.node);
  const out: string[] = [];
  if (info.requested.pods + 1 > alloc.pods) out.push('Too many pods');
  for (const r of ['cpu', 'memory', 'ephemeralStorage'] as (keyof Resources)[]) {
    if (want[r] > 0 && info.requested[r] + want[r] > alloc[r]) out.push(`Insufficient ${RESOURCE_NAMES[r]}`);
  }
  return out;
}

export function hostPortConflict(pod: KubeObject, info: NodeInfo): boolean {
  for (const p of hostPorts(pod)) {
    for (const used of info.usedPorts.keys()) {
      const [proto, ip, port] = used.split('/');
      if (proto !== p.protocol || Number(port) !== p.hostPort) continue;
      if (ip === '0.0.0.0' || p.hostIP === '0.0.0.0' || ip === p.hostIP) return true;
    }
  }
  return false;
}

export interface PodAffinityTerm {
  labelSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  namespaces?: string[];
  namespaceSelector?: unknown;
  topologyKey: string;
}

export function termMatchesPod(term: PodAffinityTerm, owner: KubeObject, candidate: KubeObject, selector: (s: unknown) => { matches(l: Record<string, string> | undefined): boolean }): boolean {
  const namespaces = term.namespaces?.length ? term.namespaces : term.namespaceSelector ? undefined : [owner.metadata?.namespace ?? 'default'];
  if (namespaces && !namespaces.includes(candidate.metadata?.namespace ?? '')) return false;
  if (!term.labelSelector) return false;
  return selector(term.labelSelector).matches(candidate.metadata?.labels);
}

export { podSpec };
