/**
 * The scheduler: binds pending pods (spec.nodeName empty, schedulerName default-scheduler) to
 * nodes. One pod at a time: filter the nodes it fits, score those, bind to the best through
 * pods/binding. Bound pods are "assumed" on their node at once, so the next decision counts them
 * before the informer has seen the binding. A pod that fits nowhere gets PodScheduled=False and
 * a FailedScheduling event saying why, and is tried again whenever nodes or pods change.
 */
import type { KubeObject } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isNotFound } from '../client/types.js';
import { WorkQueue } from '../client/work-queue.js';
import type { Controller, ControllerContext } from '../controllers/controller.js';
import { addPod, newNodeInfo, removePod, type NodeInfo } from './node-info.js';
import { hostPortConflict, insufficient, matchesNodeSelectorAndAffinity, podSpec, termMatchesPod, untoleratedTaint, type PodAffinityTerm } from './predicates.js';
import { scoreNodes } from './scoring.js';

export const SCHEDULER_NAME = 'default-scheduler';
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
/** Unschedulable pods are retried at least this often even if nothing seems to change. */
const RETRY_UNSCHEDULABLE_MS = 30_000;

function phase(pod: KubeObject): string | undefined {
  return (pod.status as { phase?: string } | undefined)?.phase;
}

function nodeNameOf(pod: KubeObject): string | undefined {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName || undefined;
}

function isTerminal(pod: KubeObject): boolean {
  const p = phase(pod);
  return p === 'Succeeded' || p === 'Failed';
}

function wantsScheduling(pod: KubeObject): boolean {
  const spec = (pod.spec ?? {}) as { nodeName?: string; schedulerName?: string };
  return !spec.nodeName && (spec.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME && !pod.metadata?.deletionTimestamp && !isTerminal(pod);
}

export class Scheduler implements Controller {
  readonly name = SCHEDULER_NAME;
  private ctx!: ControllerContext;
  private pods!: Informer;
  private readonly queue = new WorkQueue({ baseMs: 1000, maxMs: 10_000 });
  private readonly nodes = new Map<string, NodeInfo>();
  /** Which node each bound or assumed pod is counted on. */
  private readonly placed = new Map<string, string>();
  private readonly unschedulable = new Map<string, string>();
  private roundRobin = 0;

  setup(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.pods = ctx.informers.for(PODS);
    const nodes = ctx.informers.for(NODES);
    nodes.addHandlers({
      onAdd: (node) => this.upsertNode(node),
      onUpdate: (node) => this.upsertNode(node),
      onDelete: (node) => this.nodes.delete(node.metadata?.name ?? ''),
    });
    this.pods.addHandlers({
      onAdd: (pod) => this.observePod(pod),
      onUpdate: (pod) => this.observePod(pod),
      onDelete: (pod) => {
        const key = objectKey(pod);
        this.unplace(key);
        this.unschedulable.delete(key);
        this.retryUnschedulable();
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const timer = setInterval(() => this.retryUnschedulable(), RETRY_UNSCHEDULABLE_MS);
    try {
      await this.queue.run(1, (key) => this.scheduleOne(key), signal, (key, err) => this.ctx.log.warn({ pod: key, err: err instanceof Error ? err.message : String(err) }, 'scheduling failed; will retry'));
    } finally {
      clearInterval(timer);
    }
  }

  private upsertNode(node: KubeObject): void {
    const name = node.metadata?.name ?? '';
    const info = this.nodes.get(name);
    if (info) info.node = node;
    else {
      const fresh = newNodeInfo(name, node);
      // Pods bound before the node was seen.
      for (const [key, nodeName] of this.placed) {
        const pod = this.pods.get(key);
        if (nodeName === name && pod) addPod(fresh, key, pod);
      }
      this.nodes.set(name, fresh);
    }
    this.retryUnschedulable();
  }

  private observePod(pod: KubeObject): void {
    const key = objectKey(pod);
    const nodeName = nodeNameOf(pod);
    if (nodeName) {
      this.unschedulable.delete(key);
      if (isTerminal(pod)) {
        // Finished pods free their resources.
        if (this.placed.has(key)) {
          this.unplace(key);
          this.retryUnschedulable();
        }
        return;
      }
      this.place(key, nodeName, pod);
      return;
    }
    if (wantsScheduling(pod) && !this.placed.has(key)) this.queue.add(key);
  }

  private place(key: string, nodeName: string, pod: KubeObject): void {
    const previous = this.placed.get(key);
    if (previous && previous !== nodeName) this.unplace(key);
    this.placed.set(key, nodeName);
    const info = this.nodes.get(nodeName);
    if (info) addPod(info, key, pod);
  }

  private unplace(key: string): void {
    const nodeName = this.placed.get(key);
    if (nodeName === undefined) return;
    this.placed.delete(key);
    const info = this.nodes.get(nodeName);
    if (info) removePod(info, key);
  }

  private retryUnschedulable(): void {
    for (const key of this.unschedulable.keys()) this.queue.add(key);
  }

  private async scheduleOne(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod || !wantsScheduling(pod) || this.placed.has(key)) return;
    const reasons = new Map<string, number>();
    const fits: NodeInfo[] = [];
    for (const info of this.nodes.values()) {
      const why = this.filter(pod, info);
      if (why.length === 0) fits.push(info);
      for (const r of why) reasons.set(r, (reasons.get(r) ?? 0) + 1);
    }
    if (fits.length === 0) {
      await this.markUnschedulable(key, pod, reasons);
      return;
    }
    const scores = scoreNodes(pod, fits, this.nodes.values());
    const best = Math.max(...scores.values());
    const top = fits.filter((n) => scores.get(n.name) === best);
    const chosen = top[this.roundRobin++ % top.length] as NodeInfo;

    const bound = { ...pod, spec: { ...(pod.spec as object), nodeName: chosen.name } };
    this.place(key, chosen.name, bound);
    this.unschedulable.delete(key);
    const { namespace, name } = splitKey(key);
    try {
      await this.ctx.client.create(
        { ...PODS, ...(namespace ? { namespace } : {}) },
        { apiVersion: 'v1', kind: 'Binding', metadata: { name, ...(namespace ? { namespace } : {}), ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) }, target: { apiVersion: 'v1', kind: 'Node', name: chosen.name } },
        { subresource: 'binding', name },
      );
    } catch (err) {
      this.unplace(key);
      if (isNotFound(err)) return;
      throw err;
    }
    void this.ctx.events.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${chosen.name}`);
  }

  /** Why `pod` cannot run on `info`; empty when it can. */
  private filter(pod: KubeObject, info: NodeInfo): string[] {
    const node = info.node;
    if ((node.spec as { unschedulable?: boolean } | undefined)?.unschedulable) {
      const tolerated = (podSpec(pod).tolerations ?? []).some((t) => t.key === 'node.kubernetes.io/unschedulable' && (t.operator === 'Exists' || !t.operator));
      if (!tolerated) return ['node(s) were unschedulable'];
    }
    if (!matchesNodeSelectorAndAffinity(pod, node)) return ["node(s) didn't match Pod's node affinity/selector"];
    const taint = untoleratedTaint(pod, node);
    if (taint) return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
    const short = insufficient(pod, info);
    if (short.length > 0) return short;
    if (hostPortConflict(pod, info)) return ["node(s) didn't have free ports for the requested pod ports"];
    const affinity = this.podAffinityProblem(pod, info);
    return affinity ? [affinity] : [];
  }

  private podAffinityProblem(pod: KubeObject, info: NodeInfo): string | undefined {
    const spec = podSpec(pod);
    const sameTopology = (topologyKey: string): KubeObject[] => {
      const value = info.node.metadata?.labels?.[topologyKey];
      if (value === undefined) return [];
      return [...this.nodes.values()].filter((n) => n.node.metadata?.labels?.[topologyKey] === value).flatMap((n) => [...n.pods.values()]);
    };
    for (const term of spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (sameTopology(term.topologyKey).some((p) => termMatchesPod(term, pod, p, labelSelectorFromObject))) return "node(s) didn't match pod anti-affinity rules";
    }
    // Symmetry: pods already there may refuse this one.
    for (const n of this.nodes.values()) {
      for (const existing of n.pods.values()) {
        const terms = (podSpec(existing).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as PodAffinityTerm[];
        for (const term of terms) {
          const value = n.node.metadata?.labels?.[term.topologyKey];
          if (value !== undefined && info.node.metadata?.labels?.[term.topologyKey] === value && termMatchesPod(term, existing, pod, labelSelectorFromObject)) {
            return "node(s) didn't satisfy existing pods anti-affinity rules";
          }
        }
      }
    }
    for (const term of spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (sameTopology(term.topologyKey).some((p) => termMatchesPod(term, pod, p, labelSelectorFromObject))) continue;
      // The first pod of a group that selects itself may go anywhere (upstream's special case).
      const anyMatch = [...this.nodes.values()].some((n) => [...n.pods.values()].some((p) => termMatchesPod(term, pod, p, labelSelectorFromObject)));
      if (!anyMatch && termMatchesPod(term, pod, pod, labelSelectorFromObject) && info.node.metadata?.labels?.[term.topologyKey] !== undefined) continue;
      return "node(s) didn't match pod affinity rules";
    }
    return undefined;
  }

  private async markUnschedulable(key: string, pod: KubeObject, reasons: Map<string, number>): Promise<void> {
    const total = this.nodes.size;
    const message =
      total === 0
        ? 'no nodes available to schedule pods'
        : `0/${total} nodes are available: ${[...reasons].map(([r, n]) => `${n} ${r}`).sort().join(', ')}.`;
    const previous = this.unschedulable.get(key);
    this.unschedulable.set(key, message);
    if (previous === message) return;
    const { namespace, name } = splitKey(key);
    const now = this.ctx.now().toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      await this.ctx.client.patch(
        { ...PODS, ...(namespace ? { namespace } : {}) },
        name,
        'strategic',
        { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: now }] } },
        { subresource: 'status' },
      );
    } catch (err) {
      if (isNotFound(err)) {
        this.unschedulable.delete(key);
        return;
      }
      throw err;
    }
    void this.ctx.events.event(pod, 'Warning', 'FailedScheduling', message);
  }
}
