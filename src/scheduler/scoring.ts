/**
 * Scores: among the nodes that fit, which is best. Each plugin gives 0-100 per node; the total
 * is the weighted sum with upstream's default weights (resources fit 1, balanced allocation 1,
 * node affinity 2, taint toleration 3, spread 2, inter-pod affinity 2).
 */
import type { KubeObject } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import type { NodeInfo } from './node-info.js';
import { matchesNodeSelectorTerm, podSpec, taintsOf, termMatchesPod, tolerates, type NodeSelectorTerm, type PodAffinityTerm, type Toleration } from './predicates.js';
import { nodeAllocatable, podRequests } from './resources.js';

// Containers without requests still use something: upstream scores them as 100m / 200Mi.
const DEFAULT_CPU = 100;
const DEFAULT_MEMORY = 200 * 1024 * 1024;

function scoringRequests(pod: KubeObject): { cpu: number; memory: number } {
  const r = podRequests(pod);
  return { cpu: r.cpu || DEFAULT_CPU, memory: r.memory || DEFAULT_MEMORY };
}

/** Normalises raw values to 0-100 (higher raw = better unless `reverse`). */
function normalise(raw: Map<string, number>, reverse = false): Map<string, number> {
  const max = Math.max(0, ...raw.values());
  const min = Math.min(0, ...raw.values());
  const out = new Map<string, number>();
  for (const [name, v] of raw) {
    if (max === min) out.set(name, reverse ? 100 : 0);
    else {
      const s = ((v - min) / (max - min)) * 100;
      out.set(name, reverse ? 100 - s : s);
    }
  }
  return out;
}

function ownerUid(pod: KubeObject): string | undefined {
  return pod.metadata?.ownerReferences?.find((o) => o.controller)?.uid;
}

export function scoreNodes(pod: KubeObject, candidates: NodeInfo[], all: Iterable<NodeInfo>): Map<string, number> {
  const want = scoringRequests(pod);
  const spec = podSpec(pod) as ReturnType<typeof podSpec> & {
    affinity?: {
      nodeAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[] };
      podAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[] };
      podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[] };
    };
  };
  const least = new Map<string, number>();
  const balanced = new Map<string, number>();
  const affinityRaw = new Map<string, number>();
  const taintRaw = new Map<string, number>();
  const spreadRaw = new Map<string, number>();
  const podAffinityRaw = new Map<string, number>();
  const owner = ownerUid(pod);
  const allNodes = [...all];
  for (const info of candidates) {
    const alloc = nodeAllocatable(info.node);
    const cpuFrac = alloc.cpu > 0 ? Math.min(1, (info.requested.cpu + want.cpu) / alloc.cpu) : 1;
    const memFrac = alloc.memory > 0 ? Math.min(1, (info.requested.memory + want.memory) / alloc.memory) : 1;
    least.set(info.name, ((1 - cpuFrac + (1 - memFrac)) / 2) * 100);
    balanced.set(info.name, (1 - Math.abs(cpuFrac - memFrac)) * 100);

    let weight = 0;
    for (const p of spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (matchesNodeSelectorTerm(p.preference, info.node)) weight += p.weight;
    }
    affinityRaw.set(info.name, weight);

    const tolerations: Toleration[] = spec.tolerations ?? [];
    taintRaw.set(info.name, taintsOf(info.node).filter((t) => t.effect === 'PreferNoSchedule' && !tolerations.some((tol) => tolerates(tol, t))).length);

    let siblings = 0;
    if (owner) for (const p of info.pods.values()) if (ownerUid(p) === owner) siblings++;
    spreadRaw.set(info.name, siblings);

    let podAffinity = 0;
    const preferred = [
      ...(spec.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => ({ ...p, sign: 1 })),
      ...(spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => ({ ...p, sign: -1 })),
    ];
    for (const p of preferred) {
      const value = info.node.metadata?.labels?.[p.podAffinityTerm.topologyKey];
      if (value === undefined) continue;
      for (const other of allNodes) {
        if (other.node.metadata?.labels?.[p.podAffinityTerm.topologyKey] !== value) continue;
        for (const existing of other.pods.values()) {
          if (termMatchesPod(p.podAffinityTerm, pod, existing, labelSelectorFromObject)) podAffinity += p.sign * p.weight;
        }
      }
    }
    podAffinityRaw.set(info.name, podAffinity);
  }
  const parts: [Map<string, number>, number][] = [
    [least, 1],
    [balanced, 1],
    [normalise(affinityRaw), 2],
    [normalise(taintRaw, true), 3],
    [normalise(spreadRaw, true), 2],
    [normalise(podAffinityRaw), 2],
  ];
  const total = new Map<string, number>();
  for (const info of candidates) total.set(info.name, parts.reduce((sum, [scores, w]) => sum + (scores.get(info.name) ?? 0) * w, 0));
  return total;
}
