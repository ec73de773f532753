/**
 * Node lifecycle controller: watches kubelets' heartbeats (the node Lease in kube-node-lease and
 * the Ready condition). A node silent for longer than the grace period gets its conditions set
 * to Unknown ("Kubelet stopped posting node status.") and the unreachable taints; a NotReady node
 * gets the not-ready taints; a Ready node loses both. Pods on a node with a NoExecute taint are
 * marked not ready and evicted once their toleration runs out (the default toleration is 300 s),
 * pods that do not tolerate it at once. Cordoned nodes carry node.kubernetes.io/unschedulable.
 */
import type { KubeObject } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { isNotFound } from '../client/types.js';
import type { Taint, Toleration } from '../scheduler/predicates.js';
import { tolerates } from '../scheduler/predicates.js';
import { QueueController, type ControllerContext } from './controller.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
export const UNREACHABLE = 'node.kubernetes.io/unreachable';
export const NOT_READY = 'node.kubernetes.io/not-ready';
export const UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const MANAGED = new Set([UNREACHABLE, NOT_READY, UNSCHEDULABLE]);

type Node = KubeObject & {
  spec?: { taints?: (Taint & { timeAdded?: string })[]; unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string }[] };
};
type Pod = KubeObject & { spec?: { nodeName?: string; tolerations?: Toleration[] }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };

export interface NodeLifecycleOptions {
  /** How long a node may go without a heartbeat before it is Unknown (upstream: 40 s). */
  readonly gracePeriodMs?: number;
  /** How often nodes are checked (upstream: 5 s). */
  readonly monitorPeriodMs?: number;
}

function stamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

export class NodeLifecycleController extends QueueController {
  readonly name = 'node-lifecycle-controller';
  private nodes!: Informer<Node>;
  private leases!: Informer;
  private pods!: Informer<Pod>;
  /** When this controller first saw each node without a fresh heartbeat source (for new nodes). */
  private readonly firstSeen = new Map<string, number>();
  private readonly gracePeriodMs: number;
  private readonly monitorPeriodMs: number;

  constructor(options: NodeLifecycleOptions = {}) {
    super();
    this.gracePeriodMs = options.gracePeriodMs ?? 40_000;
    this.monitorPeriodMs = options.monitorPeriodMs ?? 5_000;
  }

  protected register(ctx: ControllerContext): void {
    this.nodes = ctx.informers.for<Node>(NODES);
    this.leases = ctx.informers.for(LEASES);
    this.pods = ctx.informers.for<Pod>(PODS);
    this.pods.addIndex('node', (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    this.nodes.addHandlers({ onAdd: (n) => this.queue.add(n.metadata?.name ?? ''), onUpdate: (n) => this.queue.add(n.metadata?.name ?? ''), onDelete: (n) => this.firstSeen.delete(n.metadata?.name ?? '') });
    this.pods.addHandlers({ onAdd: (p) => p.spec?.nodeName && this.queue.add(p.spec.nodeName) });
  }

  override async run(signal: AbortSignal): Promise<void> {
    // Silence produces no events: look at every node periodically.
    const timer = setInterval(() => {
      for (const n of this.nodes.list()) this.queue.add(n.metadata?.name ?? '');
    }, this.monitorPeriodMs);
    try {
      await super.run(signal);
    } finally {
      clearInterval(timer);
    }
  }

  /** The newest sign of life: lease renewTime or the Ready condition's heartbeat. */
  private lastHeartbeat(node: Node): number | undefined {
    const name = node.metadata?.name ?? '';
    const lease = this.leases.get(`kube-node-lease/${name}`);
    const renew = Date.parse(String((lease?.spec as { renewTime?: string } | undefined)?.renewTime ?? ''));
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const beat = Date.parse(ready?.lastHeartbeatTime ?? '');
    const times = [renew, beat].filter((t) => Number.isFinite(t));
    return times.length ? Math.max(...times) : undefined;
  }

  protected async reconcile(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    const now = this.ctx.now();
    const nowMs = now.getTime();
    const beat = this.lastHeartbeat(node) ?? this.firstSeen.get(name) ?? (this.firstSeen.set(name, nowMs), nowMs);
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    let readyStatus = ready?.status ?? 'Unknown';
    if (nowMs - beat > this.gracePeriodMs && readyStatus !== 'Unknown') {
      await this.markUnknown(node, now);
      readyStatus = 'Unknown';
    }
    const wanted: (Taint & { timeAdded?: string })[] = [];
    if (readyStatus === 'Unknown') wanted.push({ key: UNREACHABLE, effect: 'NoSchedule' }, { key: UNREACHABLE, effect: 'NoExecute' });
    else if (readyStatus === 'False') wanted.push({ key: NOT_READY, effect: 'NoSchedule' }, { key: NOT_READY, effect: 'NoExecute' });
    if (node.spec?.unschedulable) wanted.push({ key: UNSCHEDULABLE, effect: 'NoSchedule' });
    const taints = await this.syncTaints(node, wanted, now);
    await this.evict(name, taints, nowMs);
  }

  private async markUnknown(node: Node, now: Date): Promise<void> {
    const ts = stamp(now);
    const conditions = (node.status?.conditions ?? []).map((c) =>
      ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].includes(c.type) ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: c.status === 'Unknown' ? c.lastTransitionTime : ts } : c,
    );
    try {
      await this.ctx.client.patch(NODES, node.metadata?.name ?? '', 'strategic', { status: { conditions } }, { subresource: 'status' });
      void this.ctx.events.event(node, 'Normal', 'NodeNotReady', `Node ${node.metadata?.name} status is now: NodeNotReady`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // Pods there can no longer be trusted to be ready.
    for (const pod of this.pods.byIndex('node', node.metadata?.name ?? '')) {
      if (!(pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      try {
        await this.ctx.client.patch({ ...PODS, namespace: pod.metadata?.namespace ?? '' }, pod.metadata?.name ?? '', 'strategic', { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: ts }] } }, { subresource: 'status' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Puts exactly the `wanted` managed taints on the node (keeping others); returns the result. */
  private async syncTaints(node: Node, wanted: Taint[], now: Date): Promise<(Taint & { timeAdded?: string })[]> {
    const current = node.spec?.taints ?? [];
    const others = current.filter((t) => !MANAGED.has(t.key));
    const kept = current.filter((t) => MANAGED.has(t.key) && wanted.some((w) => w.key === t.key && w.effect === t.effect));
    const added = wanted.filter((w) => !kept.some((t) => t.key === w.key && t.effect === w.effect)).map((w) => ({ ...w, timeAdded: stamp(now) }));
    const next = [...others, ...kept, ...added];
    if (added.length === 0 && kept.length === current.filter((t) => MANAGED.has(t.key)).length) return current;
    try {
      await this.ctx.client.patch(NODES, node.metadata?.name ?? '', 'merge', { spec: { taints: next.length ? next : null }, metadata: { resourceVersion: node.metadata?.resourceVersion } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return next;
  }

  private async evict(nodeName: string, taints: (Taint & { timeAdded?: string })[], nowMs: number): Promise<void> {
    const noExecute = taints.filter((t) => t.effect === 'NoExecute');
    if (noExecute.length === 0) return;
    let soonest = Infinity;
    for (const pod of this.pods.byIndex('node', nodeName)) {
      if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      // The pod goes when the first of the NoExecute taints outlasts its toleration.
      let evictAt = Infinity;
      for (const taint of noExecute) {
        const toleration = (pod.spec?.tolerations ?? []).find((tol) => tolerates(tol, taint));
        const added = Date.parse(taint.timeAdded ?? '') || nowMs;
        const deadline = !toleration ? added : toleration.tolerationSeconds === undefined ? Infinity : added + toleration.tolerationSeconds * 1000;
        evictAt = Math.min(evictAt, deadline);
      }
      if (evictAt <= nowMs) {
        try {
          await this.ctx.client.delete({ ...PODS, namespace: pod.metadata?.namespace ?? '' }, pod.metadata?.name ?? '');
          void this.ctx.events.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      } else if (evictAt !== Infinity) soonest = Math.min(soonest, evictAt);
    }
    if (soonest !== Infinity) this.queue.addAfter(nodeName, Math.max(100, soonest - nowMs));
  }
}
