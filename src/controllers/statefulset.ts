/**
 * StatefulSet controller: pods with stable identities <set>-<ordinal> (hostname, subdomain =
 * serviceName, the pod-name and pod-index labels) and stable storage (one PVC per
 * volumeClaimTemplate and ordinal, <template>-<set>-<ordinal>, kept unless the retention policy
 * says Delete). OrderedReady creates ordinals in order, each Running and Ready before the next,
 * and removes them in reverse; Parallel does both at once. RollingUpdate replaces pods from the
 * highest ordinal down to the partition, one at a time, waiting for each to be healthy; OnDelete
 * only uses the new template for pods the user deletes. Templates are recorded as
 * ControllerRevisions (status currentRevision / updateRevision, pod label
 * controller-revision-hash).
 */
import type { OwnerReference } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isAlreadyExists, isNotFound, type ResourceRef } from '../client/types.js';
import { orNull, QueueController, type ControllerContext } from './controller.js';
import { ensureRevision, REVISION_HASH_LABEL, REVISIONS, templateOf, truncateHistory, type ControllerRevision } from './controller-revisions.js';
import type { PodTemplate } from './deployment-util.js';
import { controllerOf, isPodAvailable, type PodLike } from './pods.js';
import {
  claimName,
  isFailedOrSucceeded,
  isRunningAndReady,
  ordinalOf,
  POD_INDEX_LABEL,
  POD_NAME_LABEL,
  type StatefulSet,
} from './statefulset-util.js';

const SETS = { group: 'apps', version: 'v1', resource: 'statefulsets' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const CLAIMS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' } as const;

type Claim = PodLike;

export class StatefulSetController extends QueueController {
  readonly name = 'statefulset-controller';
  private sets!: Informer<StatefulSet>;
  private pods!: Informer<PodLike>;
  private revisions!: Informer<ControllerRevision>;
  private claims!: Informer<Claim>;

  protected register(ctx: ControllerContext): void {
    this.sets = ctx.informers.for<StatefulSet>(SETS);
    this.pods = ctx.informers.for<PodLike>(PODS);
    this.revisions = ctx.informers.for<ControllerRevision>(REVISIONS);
    this.claims = ctx.informers.for<Claim>(CLAIMS);
    const byController = (o: PodLike): string[] => {
      const owner = controllerOf(o);
      return owner?.kind === 'StatefulSet' ? [owner.uid] : [];
    };
    this.pods.addIndex('statefulset', byController);
    this.revisions.addIndex('statefulset', byController);
    this.sets.addHandlers({ onAdd: (s) => this.queue.add(objectKey(s)), onUpdate: (s) => this.queue.add(objectKey(s)) });
    const enqueueOwner = (pod: PodLike): void => {
      const owner = controllerOf(pod);
      if (owner?.kind === 'StatefulSet') this.queue.add(`${pod.metadata?.namespace}/${owner.name}`);
      else if (!owner && !pod.metadata?.deletionTimestamp) {
        for (const s of this.sets.list()) {
          if (s.metadata?.namespace === pod.metadata?.namespace && labelSelectorFromObject(s.spec?.selector).matches(pod.metadata?.labels)) this.queue.add(objectKey(s));
        }
      }
    };
    this.pods.addHandlers({ onAdd: enqueueOwner, onUpdate: enqueueOwner, onDelete: enqueueOwner });
  }

  protected async reconcile(key: string): Promise<void> {
    const set = this.sets.get(key);
    if (!set || set.metadata?.deletionTimestamp) return;
    const { namespace } = splitKey(key);
    const ns = namespace ?? '';
    const podRef: ResourceRef = { ...PODS, namespace: ns };
    const spec = set.spec ?? {};
    const setName = set.metadata?.name ?? '';
    const selector = labelSelectorFromObject(spec.selector);
    if (selector.empty) {
      void this.ctx.events.event(set, 'Warning', 'SelectingAll', 'This statefulset is selecting all pods. A non-empty selector is required.');
      return;
    }
    const pods = await this.claimPods(set, podRef, selector);

    // History: the revision of today's template is the update revision.
    const owner = { object: set, apiVersion: 'apps/v1', kind: 'StatefulSet', template: spec.template };
    const { revision: update, all: revisions } = await ensureRevision(this.ctx.client, owner, this.revisions.byIndex('statefulset', set.metadata?.uid ?? ''), spec.template?.metadata?.labels ?? {});
    const updateName = update.metadata?.name ?? '';
    const current = revisions.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
    const currentName = current.metadata?.name ?? '';

    const replicas = spec.replicas ?? 1;
    const start = spec.ordinals?.start ?? 0;
    const end = start + replicas;
    const ordered = (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;

    const slots = new Map<number, PodLike>();
    const condemned: PodLike[] = [];
    for (const pod of pods) {
      const ordinal = ordinalOf(setName, pod.metadata?.name);
      if (ordinal !== undefined && ordinal >= start && ordinal < end) slots.set(ordinal, pod);
      else condemned.push(pod);
    }
    condemned.sort((a, b) => (ordinalOf(setName, b.metadata?.name) ?? -1) - (ordinalOf(setName, a.metadata?.name) ?? -1));

    // Pods still at the current revision, counted now rather than read from a status that may lag.
    const currentReplicas = [...slots.values()].filter((p) => !p.metadata?.deletionTimestamp && p.metadata?.labels?.[REVISION_HASH_LABEL] === currentName).length;
    const revisionFor = (ordinal: number): ControllerRevision => {
      if (!rolling) return update;
      const useCurrent = partition > 0 ? ordinal < partition : ordinal < start + currentReplicas;
      return useCurrent && currentName !== updateName ? current : update;
    };

    // Bring every slot up; OrderedReady stops at the first one not yet Running and Ready.
    let blocked = false;
    for (let ordinal = start; ordinal < end && !blocked; ordinal++) {
      const pod = slots.get(ordinal);
      if (pod && isFailedOrSucceeded(pod) && !pod.metadata?.deletionTimestamp) {
        // A finished pod is replaced: delete now, recreate once it is gone.
        await this.deletePod(set, podRef, pod, 'RecreatingFailedPod');
        if (ordered) blocked = true;
        continue;
      }
      if (!pod) {
        await this.ensureClaims(set, ordinal);
        const made = await this.createPod(set, podRef, ordinal, revisionFor(ordinal));
        if (made) slots.set(ordinal, made);
        if (ordered) blocked = true;
        continue;
      }
      await this.ensureClaims(set, ordinal);
      // An adopted pod (or one a user relabelled) gets its identity labels back.
      const name = `${setName}-${ordinal}`;
      if (!pod.metadata?.deletionTimestamp && (pod.metadata?.labels?.[POD_NAME_LABEL] !== name || pod.metadata.labels[POD_INDEX_LABEL] !== String(ordinal))) {
        await this.patchPod(podRef, pod, { metadata: { labels: { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) } } });
      }
      if (ordered && (pod.metadata?.deletionTimestamp || !isRunningAndReady(pod))) blocked = true;
    }

    // Scale down: highest ordinal first; OrderedReady one at a time and only when all else is healthy.
    if (!blocked) {
      const unhealthy = [...slots.values()].some((p) => !isRunningAndReady(p) || p.metadata?.deletionTimestamp);
      for (const pod of condemned) {
        if (pod.metadata?.deletionTimestamp) {
          if (ordered) {
            blocked = true;
            break;
          }
          continue;
        }
        if (ordered && unhealthy) {
          blocked = true;
          break;
        }
        await this.releaseClaimsOnScaleDown(set, pod);
        await this.deletePod(set, podRef, pod, 'SuccessfulDelete');
        if (ordered) {
          blocked = true;
          break;
        }
      }
    }

    // Rolling update: from the highest ordinal down to the partition, one pod at a time.
    if (!blocked && rolling && condemned.length === 0) {
      for (let ordinal = end - 1; ordinal >= Math.max(start, partition); ordinal--) {
        const pod = slots.get(ordinal);
        if (!pod) break;
        if (pod.metadata?.labels?.[REVISION_HASH_LABEL] !== updateName && !pod.metadata?.deletionTimestamp) {
          await this.deletePod(set, podRef, pod, 'SuccessfulDelete');
          break;
        }
        if (!isRunningAndReady(pod) || pod.metadata?.deletionTimestamp) break;
      }
    }

    await this.updateStatus(set, [...slots.values(), ...condemned], currentName, updateName, rolling);
    const live = new Set([currentName, updateName, ...pods.map((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] ?? '')]);
    await truncateHistory(this.ctx.client, revisions, live, spec.revisionHistoryLimit ?? 10);
  }

  /** Owned pods that match, plus matching orphans (adopted); owned pods that stopped matching are released. */
  private async claimPods(set: StatefulSet, ref: ResourceRef, selector: ReturnType<typeof labelSelectorFromObject>): Promise<PodLike[]> {
    const uid = set.metadata?.uid ?? '';
    const out: PodLike[] = [];
    for (const pod of this.pods.byIndex('statefulset', uid)) {
      if (selector.matches(pod.metadata?.labels)) out.push(pod);
      else await this.patchPod(ref, pod, { metadata: { ownerReferences: orNull((pod.metadata?.ownerReferences ?? []).filter((o) => o.uid !== uid)), uid: pod.metadata?.uid } });
    }
    for (const pod of this.pods.list()) {
      if (pod.metadata?.namespace !== set.metadata?.namespace || controllerOf(pod) || pod.metadata?.deletionTimestamp || !selector.matches(pod.metadata?.labels)) continue;
      const adopted = await this.patchPod(ref, pod, { metadata: { ownerReferences: [...(pod.metadata?.ownerReferences ?? []), this.ownerRef(set)], uid: pod.metadata?.uid } });
      if (adopted) out.push(adopted);
    }
    return out;
  }

  private ownerRef(set: StatefulSet): OwnerReference {
    return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata?.name ?? '', uid: set.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
  }

  private async patchPod(ref: ResourceRef, pod: PodLike, patch: unknown): Promise<PodLike | undefined> {
    try {
      return await this.ctx.client.patch<PodLike>(ref, pod.metadata?.name ?? '', 'merge', patch);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async createPod(set: StatefulSet, ref: ResourceRef, ordinal: number, revision: ControllerRevision): Promise<PodLike | undefined> {
    const setName = set.metadata?.name ?? '';
    const name = `${setName}-${ordinal}`;
    const template: PodTemplate = templateOf(revision);
    const spec = structuredClone(template.spec ?? {});
    spec['hostname'] = name;
    if (set.spec?.serviceName) spec['subdomain'] = set.spec.serviceName;
    // Each claim template becomes this pod's own claim, replacing a same-named template volume.
    const claimVolumes = (set.spec?.volumeClaimTemplates ?? []).map((t) => ({ name: t.metadata?.name ?? '', persistentVolumeClaim: { claimName: claimName(t, setName, ordinal) } }));
    if (claimVolumes.length > 0) {
      const names = new Set(claimVolumes.map((v) => v.name));
      spec['volumes'] = [...((spec['volumes'] as { name: string }[] | undefined) ?? []).filter((v) => !names.has(v.name)), ...claimVolumes];
    }
    const pod: PodLike = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ref.namespace ?? '',
        labels: { ...template.metadata?.labels, [REVISION_HASH_LABEL]: revision.metadata?.name ?? '', [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [this.ownerRef(set)],
      },
      spec,
    };
    try {
      const made = await this.ctx.client.create<PodLike>(ref, pod);
      void this.ctx.events.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${setName} successful`);
      return made;
    } catch (err) {
      if (isAlreadyExists(err)) return undefined; // Made by an earlier pass the cache has not shown yet.
      void this.ctx.events.event(set, 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${setName} failed error: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  private async deletePod(set: StatefulSet, ref: ResourceRef, pod: PodLike, reason: string): Promise<void> {
    try {
      await this.ctx.client.delete(ref, pod.metadata?.name ?? '', { preconditions: { uid: pod.metadata?.uid ?? '' } });
      void this.ctx.events.event(set, 'Normal', reason === 'RecreatingFailedPod' ? 'SuccessfulDelete' : reason, `delete Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} successful`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Creates the ordinal's missing claims (owned by the set when whenDeleted is Delete). */
  private async ensureClaims(set: StatefulSet, ordinal: number): Promise<void> {
    const setName = set.metadata?.name ?? '';
    const ns = set.metadata?.namespace ?? '';
    const deleteWithSet = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
    const matchLabels = ((set.spec?.selector ?? {}) as { matchLabels?: Record<string, string> }).matchLabels ?? {};
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(t, setName, ordinal);
      const existing = this.claims.get(`${ns}/${name}`);
      if (existing) {
        if (deleteWithSet && !existing.metadata?.ownerReferences?.some((o) => o.uid === set.metadata?.uid)) {
          await this.ctx.client.patch({ ...CLAIMS, namespace: ns }, name, 'merge', { metadata: { ownerReferences: [...(existing.metadata?.ownerReferences ?? []), { ...this.ownerRef(set), controller: true }] } });
        }
        continue;
      }
      const { status: _status, ...claimSpec } = { ...structuredClone(t.spec ?? {}) } as Record<string, unknown>;
      try {
        await this.ctx.client.create({ ...CLAIMS, namespace: ns }, {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name,
            namespace: ns,
            labels: { ...t.metadata?.labels, ...matchLabels },
            ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
            ...(deleteWithSet ? { ownerReferences: [this.ownerRef(set)] } : {}),
          },
          spec: claimSpec,
        });
        void this.ctx.events.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${setName}-${ordinal} in StatefulSet ${setName} success`);
      } catch (err) {
        if (!isAlreadyExists(err)) {
          void this.ctx.events.event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${setName}-${ordinal} in StatefulSet ${setName} failed error: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      }
    }
  }

  /** whenScaled: Delete — a condemned pod's claims get the pod as owner, so they go with it. */
  private async releaseClaimsOnScaleDown(set: StatefulSet, pod: PodLike): Promise<void> {
    if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return;
    const ordinal = ordinalOf(set.metadata?.name ?? '', pod.metadata?.name);
    if (ordinal === undefined) return;
    const ns = set.metadata?.namespace ?? '';
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const name = claimName(t, set.metadata?.name ?? '', ordinal);
      const claim = this.claims.get(`${ns}/${name}`);
      if (!claim || claim.metadata?.ownerReferences?.some((o) => o.uid === pod.metadata?.uid)) continue;
      const podOwner: OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '', controller: false, blockOwnerDeletion: true };
      // The set stays an owner no longer: the pod alone decides the claim's lifetime now.
      const others = (claim.metadata?.ownerReferences ?? []).filter((o) => o.uid !== set.metadata?.uid);
      try {
        await this.ctx.client.patch({ ...CLAIMS, namespace: ns }, name, 'merge', { metadata: { ownerReferences: [...others, podOwner] } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async updateStatus(set: StatefulSet, pods: PodLike[], currentName: string, updateName: string, rolling: boolean): Promise<void> {
    const now = this.ctx.now();
    const minReady = set.spec?.minReadySeconds ?? 0;
    const created = pods.filter((p) => !isFailedOrSucceeded(p));
    const live = created.filter((p) => !p.metadata?.deletionTimestamp);
    const status: Record<string, unknown> = {
      observedGeneration: set.metadata?.generation ?? 1,
      replicas: created.length,
      readyReplicas: live.filter(isRunningAndReady).length,
      availableReplicas: live.filter((p) => isRunningAndReady(p) && isPodAvailable(p, minReady, now)).length,
      currentReplicas: created.filter((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === currentName).length,
      updatedReplicas: created.filter((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === updateName).length,
      currentRevision: currentName,
      updateRevision: updateName,
      collisionCount: typeof set.status?.collisionCount === 'number' ? set.status.collisionCount : 0,
    };
    // The rollout is complete once every replica runs the update revision and is ready.
    const replicas = set.spec?.replicas ?? 1;
    if (rolling && status.updatedReplicas === replicas && status.readyReplicas === replicas && status.replicas === replicas) {
      status.currentRevision = updateName;
      status.currentReplicas = status.updatedReplicas;
    } else if (!rolling && currentName !== updateName && status.currentReplicas === 0) {
      status.currentRevision = updateName;
      status.currentReplicas = status.updatedReplicas;
    }
    if (set.status?.conditions) status.conditions = set.status.conditions;
    const old = set.status ?? {};
    if (Object.keys(status).every((k) => JSON.stringify(old[k]) === JSON.stringify(status[k]))) {
      if (minReady > 0 && (status.readyReplicas as number) > (status.availableReplicas as number)) this.queue.addAfter(objectKey(set), minReady * 1000);
      return;
    }
    const { namespace } = splitKey(objectKey(set));
    try {
      await this.ctx.client.update({ ...SETS, ...(namespace ? { namespace } : {}) }, { ...set, status }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (minReady > 0 && (status.readyReplicas as number) > (status.availableReplicas as number)) this.queue.addAfter(objectKey(set), minReady * 1000);
  }
}
