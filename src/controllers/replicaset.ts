/**
 * ReplicaSet controller: keeps spec.replicas pods matching the selector, owned by the set.
 * Creates in slow-start batches (1, 2, 4, ...) stopping at the first failure, deletes the pods
 * upstream would delete first (unscheduled, pending, not ready, most restarts, newest), adopts
 * matching orphans and releases owned pods that stopped matching. "Expectations" remember
 * creations and deletions not yet seen by the informer, so a reconcile never acts twice on the
 * same shortfall. Status carries replicas, readyReplicas, availableReplicas, conditions.
 */
import type { KubeObject, OwnerReference } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isNotFound, type ResourceRef } from '../client/types.js';
import { orNull, QueueController, type ControllerContext } from './controller.js';
import { Expectations } from './expectations.js';
import { routeOwnedPods } from './owned-pods.js';
import { controllerOf, isPodActive, isPodAvailable, isPodReady, podRank, type PodLike } from './pods.js';

const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' } as const;
/** Upstream's burstReplicas: at most this many creations or deletions per sync. */
const BURST = 500;

interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: unknown;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
}

type ReplicaSet = KubeObject & { spec?: ReplicaSetSpec; status?: Record<string, unknown> };

export interface ReplicaSetControllerOptions {
  readonly kind?: 'ReplicaSet';
}

export class ReplicaSetController extends QueueController {
  readonly name = 'replicaset-controller';
  private sets!: Informer<ReplicaSet>;
  private pods!: Informer<PodLike>;
  private readonly expectations = new Expectations();

  protected register(ctx: ControllerContext): void {
    this.sets = ctx.informers.for<ReplicaSet>(REPLICASETS);
    this.pods = ctx.informers.for<PodLike>(PODS);
    this.pods.addIndex('controller', (pod) => {
      const owner = controllerOf(pod);
      return owner ? [owner.uid] : [];
    });
    this.sets.addHandlers({
      onAdd: (rs) => this.queue.add(objectKey(rs)),
      onUpdate: (rs) => this.queue.add(objectKey(rs)),
      onDelete: (rs) => this.expectations.forget(objectKey(rs)),
    });
    routeOwnedPods(this.pods, {
      kind: 'ReplicaSet',
      expectations: this.expectations,
      enqueue: (key) => this.queue.add(key),
      orphan: (pod) => this.enqueueMatching(pod),
      // Deletions are expected under the pod's key (the set deletes by name).
      deletionId: (pod) => objectKey(pod),
    });
  }

  /** An orphan may be adopted by any set whose selector matches it. */
  private enqueueMatching(pod: KubeObject): void {
    if (pod.metadata?.deletionTimestamp) return;
    for (const rs of this.sets.list()) {
      if (rs.metadata?.namespace !== pod.metadata?.namespace) continue;
      if (labelSelectorFromObject(rs.spec?.selector).matches(pod.metadata?.labels)) this.queue.add(objectKey(rs));
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const rs = this.sets.get(key);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const { namespace } = splitKey(key);
    const ref: ResourceRef = { ...PODS, ...(namespace ? { namespace } : {}) };
    const uid = rs.metadata?.uid ?? '';
    const selector = labelSelectorFromObject(rs.spec?.selector);
    const selectorEmpty = selector.empty;

    // Claim: owned pods that still match, plus matching orphans (adopted); release the rest.
    const owned: PodLike[] = [];
    for (const pod of this.pods.byIndex('controller', uid)) {
      if (!selectorEmpty && selector.matches(pod.metadata?.labels)) owned.push(pod);
      else if (!rs.metadata?.deletionTimestamp) await this.release(ref, pod, uid);
    }
    if (!rs.metadata?.deletionTimestamp && !selectorEmpty) {
      for (const pod of this.pods.list()) {
        if (pod.metadata?.namespace !== namespace || controllerOf(pod) || pod.metadata?.deletionTimestamp) continue;
        if (!selector.matches(pod.metadata?.labels)) continue;
        const adopted = await this.adopt(ref, pod, rs);
        if (adopted) owned.push(adopted);
      }
    }
    const active = owned.filter(isPodActive);
    let createError: string | undefined;
    if (this.expectations.satisfied(key) && !rs.metadata?.deletionTimestamp) {
      const want = rs.spec?.replicas ?? 1;
      const diff = active.length - want;
      if (diff < 0) createError = await this.createPods(key, ref, rs, Math.min(-diff, BURST));
      else if (diff > 0) await this.deletePods(key, ref, rs, active, Math.min(diff, BURST));
    }
    await this.updateStatus(rs, owned, createError);
  }

  private async adopt(ref: ResourceRef, pod: PodLike, rs: ReplicaSet): Promise<PodLike | undefined> {
    const owner: OwnerReference = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata?.name ?? '', uid: rs.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
    try {
      return await this.ctx.client.patch<PodLike>(ref, pod.metadata?.name ?? '', 'merge', {
        metadata: { ownerReferences: [...(pod.metadata?.ownerReferences ?? []), owner], uid: pod.metadata?.uid },
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async release(ref: ResourceRef, pod: PodLike, uid: string): Promise<void> {
    try {
      await this.ctx.client.patch(ref, pod.metadata?.name ?? '', 'merge', {
        metadata: { ownerReferences: orNull((pod.metadata?.ownerReferences ?? []).filter((o) => o.uid !== uid)), uid: pod.metadata?.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Creates `count` pods in batches of 1, 2, 4, ...; returns the first error's message. */
  private async createPods(key: string, ref: ResourceRef, rs: ReplicaSet, count: number): Promise<string | undefined> {
    this.expectations.expect(key, count);
    const template = rs.spec?.template ?? {};
    const rsName = rs.metadata?.name ?? '';
    let remaining = count;
    for (let batch = 1; remaining > 0; batch *= 2) {
      const n = Math.min(batch, remaining);
      const results = await Promise.allSettled(
        Array.from({ length: n }, () =>
          this.ctx.client.create<PodLike>(ref, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              generateName: `${rsName}-`,
              namespace: ref.namespace ?? '',
              labels: { ...template.metadata?.labels },
              ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
              ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rs.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
            },
            spec: structuredClone(template.spec ?? {}) as Record<string, unknown>,
          }),
        ),
      );
      remaining -= n;
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      for (const r of results) {
        if (r.status === 'fulfilled') void this.ctx.events.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
      }
      if (failed.length > 0) {
        // Pods that were never created will never be observed.
        this.expectations.creationsFailed(key, failed.length + remaining);
        const message = failed[0]?.reason instanceof Error ? failed[0].reason.message : String(failed[0]?.reason);
        void this.ctx.events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${message}`);
        return message;
      }
    }
    return undefined;
  }

  private async deletePods(key: string, ref: ResourceRef, rs: ReplicaSet, active: PodLike[], count: number): Promise<void> {
    const victims = [...active].sort(podRank).slice(0, count);
    this.expectations.expect(key, 0, victims.map(objectKey));
    await Promise.all(
      victims.map(async (pod) => {
        try {
          await this.ctx.client.delete(ref, pod.metadata?.name ?? '', { preconditions: { uid: pod.metadata?.uid ?? '' } });
          void this.ctx.events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
        } catch (err) {
          this.expectations.deletionObserved(key, objectKey(pod));
          if (!isNotFound(err)) throw err;
        }
      }),
    );
  }

  private async updateStatus(rs: ReplicaSet, owned: PodLike[], createError: string | undefined): Promise<void> {
    const active = owned.filter(isPodActive);
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const now = this.ctx.now();
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const status: Record<string, unknown> = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata?.generation ?? 1,
    };
    const old = rs.status ?? {};
    const oldConditions = (old.conditions as ({ type: string } & Record<string, unknown>)[] | undefined) ?? [];
    let conditions: Record<string, unknown>[] = oldConditions.filter((c) => c.type !== 'ReplicaFailure');
    if (createError) {
      const existing = oldConditions.find((c) => c.type === 'ReplicaFailure');
      conditions = [...conditions, existing ?? { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: createError, lastTransitionTime: now.toISOString().replace(/\.\d+Z$/, 'Z') }];
    }
    if (conditions.length > 0) status.conditions = conditions;
    const same = ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'].every((k) => (old[k] ?? 0) === status[k]) && JSON.stringify(oldConditions) === JSON.stringify(conditions);
    if (same) return;
    const { namespace } = splitKey(objectKey(rs));
    try {
      await this.ctx.client.update({ ...REPLICASETS, ...(namespace ? { namespace } : {}) }, { ...rs, status }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // Pods becoming available after minReadySeconds produce no event: look again then.
    if (minReady > 0 && (status.readyReplicas as number) > (status.availableReplicas as number)) this.queue.addAfter(objectKey(rs), minReady * 1000);
  }
}
