/**
 * DaemonSet controller: one pod on every node that should run it (node selector, required node
 * affinity, taints against the template's tolerations plus the ones every daemon pod gets). Pods
 * are created pinned to their node by a matchFields metadata.name affinity, as upstream, and bound
 * by the scheduler. Pods on nodes that no longer qualify, or no longer exist, are deleted; failed
 * pods are replaced. RollingUpdate replaces old pods within maxUnavailable, or surges a new pod
 * beside the old one within maxSurge; OnDelete leaves that to the user. Templates are recorded as
 * ControllerRevisions; pods carry controller-revision-hash.
 */
import type { KubeObject } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isNotFound, type ResourceRef } from '../client/types.js';
import { orNull, QueueController, type ControllerContext } from './controller.js';
import { ensureRevision, REVISION_HASH_LABEL, REVISIONS, truncateHistory, type ControllerRevision } from './controller-revisions.js';
import { podForNode, rollingBudget, shouldRunOn, targetNode, type DaemonSet } from './daemonset-util.js';
import { Expectations } from './expectations.js';
import { routeOwnedPods } from './owned-pods.js';
import { controllerOf, isPodAvailable, isPodReady, type PodLike } from './pods.js';

const DAEMONSETS = { group: 'apps', version: 'v1', resource: 'daemonsets' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;

function isFinished(pod: PodLike): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}
function created(pod: PodLike): number {
  return Date.parse(pod.metadata?.creationTimestamp ?? '') || 0;
}
/** What about a node matters to daemon placement (heartbeats alone do not). */
function placementView(node: KubeObject): string {
  const spec = (node.spec ?? {}) as { taints?: unknown; unschedulable?: boolean };
  const ready = ((node.status ?? {}) as { conditions?: { type: string; status: string }[] }).conditions?.find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([node.metadata?.labels ?? {}, spec.taints ?? [], ready]);
}

export class DaemonSetController extends QueueController {
  readonly name = 'daemonset-controller';
  private sets!: Informer<DaemonSet>;
  private pods!: Informer<PodLike>;
  private nodes!: Informer;
  private revisions!: Informer<ControllerRevision>;
  private readonly expectations = new Expectations();
  /** Per "<daemonset key>/<node>": failed pods seen, and when the next may be replaced. */
  private readonly failedBackoff = new Map<string, { n: number; until: number }>();

  protected register(ctx: ControllerContext): void {
    this.sets = ctx.informers.for<DaemonSet>(DAEMONSETS);
    this.pods = ctx.informers.for<PodLike>(PODS);
    this.nodes = ctx.informers.for(NODES);
    this.revisions = ctx.informers.for<ControllerRevision>(REVISIONS);
    const byController = (o: KubeObject): string[] => {
      const owner = controllerOf(o);
      return owner?.kind === 'DaemonSet' ? [owner.uid] : [];
    };
    this.pods.addIndex('daemonset', byController);
    this.revisions.addIndex('daemonset', byController);
    this.sets.addHandlers({
      onAdd: (ds) => this.queue.add(objectKey(ds)),
      onUpdate: (ds) => this.queue.add(objectKey(ds)),
      onDelete: (ds) => this.expectations.forget(objectKey(ds)),
    });
    const all = (): void => {
      for (const ds of this.sets.list()) this.queue.add(objectKey(ds));
    };
    this.nodes.addHandlers({ onAdd: all, onDelete: all, onUpdate: (n, old) => placementView(n) !== placementView(old) && all() });
    routeOwnedPods(this.pods, { kind: 'DaemonSet', expectations: this.expectations, enqueue: (key) => this.queue.add(key), orphan: (pod) => this.enqueueMatching(pod) });
  }

  private enqueueMatching(pod: PodLike): void {
    if (pod.metadata?.deletionTimestamp) return;
    for (const ds of this.sets.list()) {
      if (ds.metadata?.namespace === pod.metadata?.namespace && labelSelectorFromObject(ds.spec?.selector).matches(pod.metadata?.labels)) this.queue.add(objectKey(ds));
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const ds = this.sets.get(key);
    if (!ds || ds.metadata?.deletionTimestamp) {
      if (!ds) this.expectations.forget(key);
      return;
    }
    const { namespace } = splitKey(key);
    const podRef: ResourceRef = { ...PODS, namespace: namespace ?? '' };
    const selector = labelSelectorFromObject(ds.spec?.selector);
    if (selector.empty) {
      void this.ctx.events.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    const pods = await this.claimPods(ds, podRef, selector);
    const owner = { object: ds, apiVersion: 'apps/v1', kind: 'DaemonSet', template: ds.spec?.template };
    const { revision, all: revisions } = await ensureRevision(this.ctx.client, owner, this.revisions.byIndex('daemonset', ds.metadata?.uid ?? ''), ds.spec?.template?.metadata?.labels ?? {});
    const hash = revision.metadata?.labels?.[REVISION_HASH_LABEL] ?? '';

    const byNode = new Map<string, PodLike[]>();
    for (const pod of pods) {
      const node = targetNode(pod) ?? '';
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    const nodes = this.nodes.list();
    const runOn = new Set(nodes.filter((n) => shouldRunOn(ds, n)).map((n) => n.metadata?.name ?? ''));
    const now = this.ctx.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const available = (p: PodLike): boolean => isPodAvailable(p, minReady, now);
    const rolling = (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const { maxSurge, maxUnavailable } = rollingBudget(ds, runOn.size);

    const create: string[] = [];
    const remove: PodLike[] = [];
    for (const [node, nodePods] of byNode) {
      const live = nodePods.filter((p) => !p.metadata?.deletionTimestamp);
      if (!runOn.has(node)) {
        remove.push(...live); // misscheduled, or its node is gone
        continue;
      }
      const failed = live.filter(isFinished);
      if (failed.length > 0) {
        // Replaced once gone, but a node whose pods keep failing is retried with backoff (1 s .. 15 min).
        const b = this.failedBackoff.get(`${key}/${node}`) ?? { n: 0, until: 0 };
        if (now.getTime() < b.until) this.queue.addAfter(key, b.until - now.getTime());
        else {
          for (const p of failed) void this.ctx.events.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata?.namespace}/${p.metadata?.name} on node ${node}, will try to kill it`);
          remove.push(...failed);
          this.failedBackoff.set(`${key}/${node}`, { n: b.n + 1, until: now.getTime() + Math.min(15 * 60_000, 1000 * 2 ** b.n) });
        }
      }
      const alive = live.filter((p) => !isFinished(p));
      // Two pods on a node are a surge in progress (one old, one new); anything else is a duplicate.
      const surge = rolling && maxSurge > 0 && alive.length === 2 && alive.filter((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === hash).length === 1;
      if (alive.length > 1 && !surge) {
        const keep = [...alive].sort((a, b) => Number(b.metadata?.labels?.[REVISION_HASH_LABEL] === hash) - Number(a.metadata?.labels?.[REVISION_HASH_LABEL] === hash) || created(a) - created(b))[0];
        remove.push(...alive.filter((p) => p !== keep));
      }
    }
    // A node with no pod at all gets one; a failed pod is replaced once its deletion is seen.
    for (const node of runOn) if ((byNode.get(node) ?? []).length === 0) create.push(node);

    if (rolling) {
      // Nodes in name order, so each pass makes the same choices.
      let unavailable = [...runOn].filter((n) => !(byNode.get(n) ?? []).some((p) => !p.metadata?.deletionTimestamp && !isFinished(p) && available(p))).length;
      let surging = [...runOn].filter((n) => (byNode.get(n) ?? []).filter((p) => !p.metadata?.deletionTimestamp && !isFinished(p)).length > 1).length;
      for (const node of [...runOn].sort()) {
        const alive = (byNode.get(node) ?? []).filter((p) => !p.metadata?.deletionTimestamp && !isFinished(p) && !remove.includes(p));
        const fresh = alive.find((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === hash);
        const old = alive.filter((p) => p !== fresh);
        if (old.length === 0) continue;
        const oldAvailable = old.some(available);
        if (maxSurge === 0 || !oldAvailable) {
          if (!oldAvailable) remove.push(...old); // already down: replacing costs nothing
          else if (unavailable < maxUnavailable) {
            remove.push(...old);
            unavailable++;
          }
        } else if (fresh) {
          if (available(fresh)) remove.push(...old);
        } else if (surging < maxSurge) {
          create.push(node);
          surging++;
        }
      }
    }

    if (this.expectations.satisfied(key)) {
      await this.deletePods(key, ds, podRef, remove);
      await this.createPods(key, ds, podRef, create, hash);
    }
    await this.updateStatus(ds, byNode, runOn, hash, available);
    const live = new Set([revision.metadata?.name ?? '', ...revisions.filter((r) => pods.some((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === r.metadata?.labels?.[REVISION_HASH_LABEL])).map((r) => r.metadata?.name ?? '')]);
    await truncateHistory(this.ctx.client, revisions, live, ds.spec?.revisionHistoryLimit ?? 10);
  }

  private async claimPods(ds: DaemonSet, ref: ResourceRef, selector: ReturnType<typeof labelSelectorFromObject>): Promise<PodLike[]> {
    const uid = ds.metadata?.uid ?? '';
    const out: PodLike[] = [];
    const patch = async (pod: PodLike, body: unknown): Promise<PodLike | undefined> => {
      try {
        return await this.ctx.client.patch<PodLike>(ref, pod.metadata?.name ?? '', 'merge', body);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    };
    for (const pod of this.pods.byIndex('daemonset', uid)) {
      if (selector.matches(pod.metadata?.labels)) out.push(pod);
      else await patch(pod, { metadata: { ownerReferences: orNull((pod.metadata?.ownerReferences ?? []).filter((o) => o.uid !== uid)), uid: pod.metadata?.uid } });
    }
    for (const pod of this.pods.list()) {
      if (pod.metadata?.namespace !== ds.metadata?.namespace || controllerOf(pod) || pod.metadata?.deletionTimestamp || !selector.matches(pod.metadata?.labels)) continue;
      const ownerRef = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata?.name ?? '', uid, controller: true, blockOwnerDeletion: true };
      const adopted = await patch(pod, { metadata: { ownerReferences: [...(pod.metadata?.ownerReferences ?? []), ownerRef], uid: pod.metadata?.uid } });
      if (adopted) out.push(adopted);
    }
    return out;
  }

  private async createPods(key: string, ds: DaemonSet, ref: ResourceRef, nodes: string[], hash: string): Promise<void> {
    if (nodes.length === 0) return;
    this.expectations.raise(key, nodes.length);
    // Slow start, as upstream: batches of 1, 2, 4, ... stopping at the first failure.
    let next = 0;
    for (let batch = 1; next < nodes.length; batch *= 2) {
      const chunk = nodes.slice(next, next + batch);
      next += chunk.length;
      const results = await Promise.allSettled(chunk.map((node) => this.ctx.client.create<PodLike>(ref, podForNode(ds, node, hash))));
      for (const r of results) if (r.status === 'fulfilled') void this.ctx.events.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) {
        this.expectations.creationsFailed(key, failed.length + (nodes.length - next));
        const message = failed[0]?.reason instanceof Error ? failed[0].reason.message : String(failed[0]?.reason);
        void this.ctx.events.event(ds, 'Warning', 'FailedCreate', `Error creating: ${message}`);
        throw new Error(`creating daemon pods of ${key}: ${message}`, { cause: failed[0]?.reason });
      }
    }
  }

  private async deletePods(key: string, ds: DaemonSet, ref: ResourceRef, pods: PodLike[]): Promise<void> {
    const unique = [...new Set(pods)];
    if (unique.length === 0) return;
    this.expectations.raise(key, 0, unique.map((p) => p.metadata?.uid ?? ''));
    await Promise.all(unique.map(async (pod) => {
      try {
        await this.ctx.client.delete(ref, pod.metadata?.name ?? '', { preconditions: { uid: pod.metadata?.uid ?? '' } });
        void this.ctx.events.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
      } catch (err) {
        this.expectations.deletionObserved(key, pod.metadata?.uid ?? '');
        if (!isNotFound(err)) throw err;
      }
    }));
  }

  private async updateStatus(ds: DaemonSet, byNode: Map<string, PodLike[]>, runOn: Set<string>, hash: string, available: (p: PodLike) => boolean): Promise<void> {
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let avail = 0;
    let updated = 0;
    for (const [node, nodePods] of byNode) {
      const alive = nodePods.filter((p) => !isFinished(p) && !p.metadata?.deletionTimestamp);
      if (alive.length === 0) continue;
      if (!runOn.has(node)) {
        misscheduled++;
        continue;
      }
      current++;
      if (alive.some(isPodReady)) ready++;
      if (alive.some(available)) avail++;
      if (alive.some((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === hash)) updated++;
    }
    const status: Record<string, unknown> = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: runOn.size,
      numberReady: ready,
      observedGeneration: ds.metadata?.generation ?? 1,
      updatedNumberScheduled: updated,
      numberAvailable: avail,
      numberUnavailable: Math.max(0, runOn.size - avail),
    };
    const old = ds.status ?? {};
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && ready > avail) this.queue.addAfter(objectKey(ds), minReady * 1000);
    if (Object.keys(status).every((k) => (old[k] ?? 0) === status[k])) return;
    const { namespace } = splitKey(objectKey(ds));
    const next: Record<string, unknown> = { ...old, ...status };
    // The API omits zero counts; drop them rather than store explicit zeros twice.
    for (const k of ['numberAvailable', 'numberUnavailable', 'updatedNumberScheduled']) if (next[k] === 0) delete next[k];
    try {
      await this.ctx.client.update({ ...DAEMONSETS, ...(namespace ? { namespace } : {}) }, { ...ds, status: next }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
