/**
 * Deployment controller: one ReplicaSet per pod template (named <deployment>-<template hash>),
 * rolled with RollingUpdate (maxSurge / maxUnavailable) or Recreate, revisions recorded in
 * annotations so `kubectl rollout history/undo` work, old sets pruned to revisionHistoryLimit,
 * paused deployments only scaled, and the status and Progressing/Available conditions that
 * `kubectl rollout status` waits on (including ProgressDeadlineExceeded).
 */
import type { OwnerReference } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isAlreadyExists, isNotFound, type ResourceRef } from '../client/types.js';
import { orNull, QueueController, type ControllerContext } from './controller.js';
import {
  annotationsForReplicaSet,
  DESIRED_REPLICAS,
  HASH_LABEL,
  MAX_REPLICAS,
  REVISION,
  revisionOf,
  sameTemplate,
  setCondition,
  surgeAndUnavailable,
  templateHash,
  type Condition,
  type Deployment,
  type ReplicaSet,
} from './deployment-util.js';
import { controllerOf, isPodActive, type PodLike } from './pods.js';

const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;

function replicasOf(rs: ReplicaSet): number {
  return rs.spec?.replicas ?? 0;
}
function available(rs: ReplicaSet): number {
  return rs.status?.availableReplicas ?? 0;
}
function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

export class DeploymentController extends QueueController {
  readonly name = 'deployment-controller';
  private deployments!: Informer<Deployment>;
  private sets!: Informer<ReplicaSet>;
  private pods!: Informer<PodLike>;

  protected register(ctx: ControllerContext): void {
    this.deployments = ctx.informers.for<Deployment>(DEPLOYMENTS);
    this.sets = ctx.informers.for<ReplicaSet>(REPLICASETS);
    this.pods = ctx.informers.for<PodLike>(PODS);
    const enqueueOwner = (rs: ReplicaSet): void => {
      const owner = controllerOf(rs);
      if (owner?.kind === 'Deployment') this.queue.add(`${rs.metadata?.namespace}/${owner.name}`);
      else if (!owner) for (const d of this.deployments.list()) if (d.metadata?.namespace === rs.metadata?.namespace) this.queue.add(objectKey(d));
    };
    this.deployments.addHandlers({ onAdd: (d) => this.queue.add(objectKey(d)), onUpdate: (d) => this.queue.add(objectKey(d)) });
    this.sets.addHandlers({ onAdd: enqueueOwner, onUpdate: enqueueOwner, onDelete: enqueueOwner });
    // Recreate waits for old pods to be gone: their deletion moves it on.
    this.pods.addHandlers({
      onDelete: (pod) => {
        const owner = controllerOf(pod);
        const rs = owner?.kind === 'ReplicaSet' ? this.sets.get(`${pod.metadata?.namespace}/${owner.name}`) : undefined;
        if (rs) enqueueOwner(rs);
      },
    });
  }

  protected async reconcile(key: string): Promise<void> {
    const d = this.deployments.get(key);
    if (!d || d.metadata?.deletionTimestamp) return;
    const { namespace } = splitKey(key);
    const rsRef: ResourceRef = { ...REPLICASETS, ...(namespace ? { namespace } : {}) };
    const selector = labelSelectorFromObject(d.spec?.selector);
    if (selector.empty) {
      void this.ctx.events.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const sets = await this.claimReplicaSets(d, rsRef, selector);
    let newRs = sets.find((rs) => sameTemplate(rs.spec?.template, d.spec?.template));
    const olds = sets.filter((rs) => rs !== newRs);
    const maxOldRevision = Math.max(0, ...olds.map(revisionOf));

    if (d.spec?.paused) {
      await this.scale(d, rsRef, newRs ?? latest(sets), sets);
      await this.syncStatus(d, sets, newRs, 'paused');
      return;
    }
    if (!newRs) newRs = await this.createNewReplicaSet(d, rsRef, maxOldRevision + 1);
    else if (revisionOf(newRs) <= maxOldRevision || newRs.metadata?.annotations?.[DESIRED_REPLICAS] !== String(d.spec?.replicas ?? 1)) {
      // An old template came back (rollout undo) or the deployment was scaled: new revision / annotations.
      newRs = await this.annotate(d, rsRef, newRs, revisionOf(newRs) <= maxOldRevision ? maxOldRevision + 1 : revisionOf(newRs));
    }
    const all = [newRs, ...olds];
    if (d.spec?.strategy?.type === 'Recreate') await this.recreate(d, rsRef, newRs, olds);
    else await this.rollingUpdate(d, rsRef, newRs, olds);
    await this.cleanup(d, rsRef, olds);
    await this.syncStatus(d, all.map((rs) => this.sets.get(objectKey(rs)) ?? rs), newRs, 'rolling');
  }

  /** Owned sets that match, plus matching orphans (adopted); non-matching owned sets are released. */
  private async claimReplicaSets(d: Deployment, ref: ResourceRef, selector: ReturnType<typeof labelSelectorFromObject>): Promise<ReplicaSet[]> {
    const uid = d.metadata?.uid ?? '';
    const out: ReplicaSet[] = [];
    for (const rs of this.sets.list()) {
      if (rs.metadata?.namespace !== d.metadata?.namespace) continue;
      const owner = controllerOf(rs);
      const matches = selector.matches(rs.metadata?.labels);
      if (owner?.uid === uid) {
        if (matches) out.push(rs);
        else await this.patchSet(ref, rs, { metadata: { ownerReferences: orNull((rs.metadata?.ownerReferences ?? []).filter((o) => o.uid !== uid)) } });
      } else if (!owner && matches && !rs.metadata?.deletionTimestamp) {
        const adopted = await this.patchSet(ref, rs, { metadata: { ownerReferences: [...(rs.metadata?.ownerReferences ?? []), this.ownerRef(d)] } });
        if (adopted) out.push(adopted);
      }
    }
    return out;
  }

  private ownerRef(d: Deployment): OwnerReference {
    return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata?.name ?? '', uid: d.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
  }

  private async patchSet(ref: ResourceRef, rs: ReplicaSet, patch: Record<string, unknown>): Promise<ReplicaSet | undefined> {
    try {
      return await this.ctx.client.patch<ReplicaSet>(ref, rs.metadata?.name ?? '', 'merge', patch);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async createNewReplicaSet(d: Deployment, ref: ResourceRef, revision: number): Promise<ReplicaSet> {
    let collisionCount = (d.status?.collisionCount as number | undefined) ?? 0;
    for (;;) {
      const hash = templateHash(d.spec?.template, collisionCount);
      const template = structuredClone(d.spec?.template ?? {});
      template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH_LABEL]: hash } };
      const name = `${d.metadata?.name}-${hash}`;
      const { maxSurge } = surgeAndUnavailable(d);
      const replicas = d.spec?.replicas ?? 1;
      // The first set of a deployment starts at full size; later ones grow as the rollout allows.
      const existing = this.sets.list().filter((rs) => controllerOf(rs)?.uid === d.metadata?.uid);
      const total = existing.reduce((n, rs) => n + replicasOf(rs), 0);
      const initial = existing.length === 0 ? replicas : d.spec?.strategy?.type === 'Recreate' ? 0 : Math.max(0, Math.min(replicas, replicas + maxSurge - total));
      try {
        const created = await this.ctx.client.create<ReplicaSet>(ref, {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: { name, namespace: ref.namespace ?? '', labels: template.metadata.labels ?? {}, annotations: annotationsForReplicaSet(d, revision), ownerReferences: [this.ownerRef(d)] },
          spec: {
            replicas: initial,
            minReadySeconds: d.spec?.minReadySeconds ?? 0,
            selector: { ...d.spec?.selector, matchLabels: { ...d.spec?.selector?.matchLabels, [HASH_LABEL]: hash } },
            template,
          },
        });
        if (initial > 0) void this.ctx.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${initial}`);
        await this.setProgressing(d, 'NewReplicaSetCreated', `Created new replica set "${name}"`);
        return created;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        // A set of that name with another template (a hash collision): bump collisionCount.
        const clash = await this.ctx.client.get<ReplicaSet>(ref, name);
        if (controllerOf(clash)?.uid === d.metadata?.uid && sameTemplate(clash.spec?.template, d.spec?.template)) return clash;
        collisionCount++;
        await this.ctx.client.patch(deploymentsIn(ref), d.metadata?.name ?? '', 'merge', { status: { collisionCount } }, { subresource: 'status' });
      }
    }
  }

  private async annotate(d: Deployment, ref: ResourceRef, rs: ReplicaSet, revision: number): Promise<ReplicaSet> {
    const annotations = annotationsForReplicaSet(d, revision, rs.metadata?.annotations);
    return (await this.patchSet(ref, rs, { metadata: { annotations } })) ?? rs;
  }

  private async setReplicas(d: Deployment, ref: ResourceRef, rs: ReplicaSet, replicas: number): Promise<ReplicaSet> {
    const from = replicasOf(rs);
    if (from === replicas) return rs;
    const { maxSurge } = surgeAndUnavailable(d);
    const desired = d.spec?.replicas ?? 1;
    const updated = await this.patchSet(ref, rs, {
      metadata: { annotations: { [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(desired + maxSurge) } },
      spec: { replicas },
    });
    void this.ctx.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata?.name} from ${from} to ${replicas}`);
    return updated ?? rs;
  }

  private async rollingUpdate(d: Deployment, ref: ResourceRef, newRs: ReplicaSet, olds: ReplicaSet[]): Promise<void> {
    const replicas = d.spec?.replicas ?? 1;
    const { maxSurge, maxUnavailable } = surgeAndUnavailable(d);
    const activeOlds = olds.filter((rs) => replicasOf(rs) > 0);
    // Scale up the new set as far as the surge allows.
    const total = replicasOf(newRs) + activeOlds.reduce((n, rs) => n + replicasOf(rs), 0);
    let newSize = replicasOf(newRs);
    if (newSize > replicas) newSize = replicas;
    else if (newSize < replicas) newSize = Math.min(replicas, newSize + Math.max(0, replicas + maxSurge - total));
    if (activeOlds.length === 0) newSize = replicas;
    newRs = await this.setReplicas(d, ref, newRs, newSize);

    // Scale down old sets while keeping replicas - maxUnavailable available.
    const minAvailable = replicas - maxUnavailable;
    const allPods = replicasOf(newRs) + activeOlds.reduce((n, rs) => n + replicasOf(rs), 0);
    const newUnavailable = Math.max(0, replicasOf(newRs) - available(newRs));
    // First the old pods that are not available anyway.
    let cleanup = Math.max(0, allPods - minAvailable - newUnavailable);
    const oldest = [...activeOlds].sort((a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? ''));
    const sizes = new Map(oldest.map((rs) => [rs, replicasOf(rs)]));
    for (const rs of oldest) {
      if (cleanup <= 0) break;
      const unhealthy = Math.max(0, (sizes.get(rs) ?? 0) - available(rs));
      const n = Math.min(unhealthy, cleanup);
      if (n > 0) {
        sizes.set(rs, (sizes.get(rs) ?? 0) - n);
        cleanup -= n;
      }
    }
    // Then available old pods, down to the availability floor.
    const availableNow = available(newRs) + oldest.reduce((n, rs) => n + Math.min(available(rs), sizes.get(rs) ?? 0), 0);
    let scaleDown = Math.max(0, availableNow - minAvailable);
    for (const rs of oldest) {
      if (scaleDown <= 0) break;
      const n = Math.min(sizes.get(rs) ?? 0, scaleDown);
      sizes.set(rs, (sizes.get(rs) ?? 0) - n);
      scaleDown -= n;
    }
    for (const rs of oldest) await this.setReplicas(d, ref, rs, sizes.get(rs) ?? 0);
  }

  private async recreate(d: Deployment, ref: ResourceRef, newRs: ReplicaSet, olds: ReplicaSet[]): Promise<void> {
    for (const rs of olds) if (replicasOf(rs) > 0) await this.setReplicas(d, ref, rs, 0);
    const oldUids = new Set(olds.map((rs) => rs.metadata?.uid));
    const oldPodsLeft = this.pods.list().some((p) => p.metadata?.namespace === d.metadata?.namespace && oldUids.has(controllerOf(p)?.uid) && isPodActive(p));
    if (oldPodsLeft) return;
    await this.setReplicas(d, ref, newRs, d.spec?.replicas ?? 1);
  }

  /** Paused or plain scaling: the active set (or the latest) follows spec.replicas. */
  private async scale(d: Deployment, ref: ResourceRef, target: ReplicaSet | undefined, sets: ReplicaSet[]): Promise<void> {
    const active = sets.filter((rs) => replicasOf(rs) > 0);
    const replicas = d.spec?.replicas ?? 1;
    if (active.length <= 1) {
      const rs = active[0] ?? target;
      if (rs) await this.setReplicas(d, ref, rs, replicas);
      return;
    }
    // Several active sets: spread the difference proportionally, the rest to the newest.
    const total = active.reduce((n, rs) => n + replicasOf(rs), 0);
    const { maxSurge } = surgeAndUnavailable(d);
    const allowed = replicas + maxSurge;
    if (total === allowed) return;
    const diff = allowed - total;
    let given = 0;
    const newest = latest(active);
    const sizes = new Map<ReplicaSet, number>();
    for (const rs of active) {
      const share = rs === newest ? 0 : Math.trunc((diff * replicasOf(rs)) / total);
      sizes.set(rs, Math.max(0, replicasOf(rs) + share));
      given += share;
    }
    if (newest) sizes.set(newest, Math.max(0, replicasOf(newest) + diff - given));
    for (const [rs, size] of sizes) await this.setReplicas(d, ref, rs, size);
  }

  private async cleanup(d: Deployment, ref: ResourceRef, olds: ReplicaSet[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const idle = olds.filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata?.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await this.ctx.client.delete(ref, rs.metadata?.name ?? '', { preconditions: { uid: rs.metadata?.uid ?? '' } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async setProgressing(d: Deployment, reason: string, message: string): Promise<void> {
    const current = this.deployments.get(objectKey(d)) ?? d;
    const now = timestamp(this.ctx.now());
    const conditions = setCondition((current.status?.conditions as Condition[] | undefined) ?? [], { type: 'Progressing', status: 'True', reason, message }, now);
    await this.ctx.client.patch(deploymentsIn({ ...DEPLOYMENTS, namespace: d.metadata?.namespace ?? '' }), d.metadata?.name ?? '', 'merge', { status: { conditions } }, { subresource: 'status' });
  }

  private async syncStatus(d: Deployment, sets: ReplicaSet[], newRs: ReplicaSet | undefined, mode: 'paused' | 'rolling'): Promise<void> {
    const current = this.deployments.get(objectKey(d)) ?? d;
    const replicas = d.spec?.replicas ?? 1;
    const { maxUnavailable } = surgeAndUnavailable(d);
    const sum = (f: (rs: ReplicaSet) => number): number => sets.reduce((n, rs) => n + f(rs), 0);
    const status: Record<string, unknown> = {
      observedGeneration: d.metadata?.generation ?? 1,
      replicas: sum((rs) => rs.status?.replicas ?? 0),
      updatedReplicas: newRs ? (this.sets.get(objectKey(newRs)) ?? newRs).status?.replicas ?? 0 : 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: sum(available),
    };
    status.unavailableReplicas = Math.max(0, replicas - (status.availableReplicas as number));
    if (current.status?.collisionCount !== undefined) status.collisionCount = current.status.collisionCount;
    const now = this.ctx.now();
    const ts = timestamp(now);
    let conditions = (current.status?.conditions as Condition[] | undefined) ?? [];
    conditions =
      (status.availableReplicas as number) >= replicas - maxUnavailable
        ? setCondition(conditions, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }, ts)
        : setCondition(conditions, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, ts);
    const name = newRs?.metadata?.name ?? '';
    const progressing = conditions.find((c) => c.type === 'Progressing');
    const complete = newRs !== undefined && status.updatedReplicas === replicas && status.replicas === replicas && (status.availableReplicas as number) >= replicas && sets.every((rs) => rs === newRs || replicasOf(rs) === 0);
    if (mode === 'paused') {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, ts);
    } else if (complete) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}" has successfully progressed.` }, ts);
    } else if (progressing?.reason === 'ProgressDeadlineExceeded') {
      // Stays failed until the template changes (a new set resets it).
    } else {
      const deadline = d.spec?.progressDeadlineSeconds ?? 600;
      const movedOn = JSON.stringify([status.updatedReplicas, status.availableReplicas, status.replicas]) !== JSON.stringify([d.status?.updatedReplicas, d.status?.availableReplicas, d.status?.replicas]);
      const last = progressing ? Date.parse(progressing.lastUpdateTime) : now.getTime();
      if (!movedOn && progressing && progressing.reason !== 'DeploymentPaused' && now.getTime() - last > deadline * 1000) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${name}" has timed out progressing.` }, ts);
        void this.ctx.events.event(d, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${d.metadata?.name}" exceeded its progress deadline`);
      } else if (movedOn || !progressing || progressing.reason === 'DeploymentPaused' || progressing.reason === 'NewReplicaSetAvailable') {
        // Each step of a rollout refreshes lastUpdateTime, which the deadline counts from.
        const base = conditions.filter((c) => c.type !== 'Progressing');
        const kept = progressing && progressing.status === 'True' ? progressing.lastTransitionTime : ts;
        conditions = [...base, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}" is progressing.`, lastUpdateTime: ts, lastTransitionTime: kept }];
      }
      if (!complete) this.queue.addAfter(objectKey(d), Math.min(deadline * 1000, 30_000));
    }
    status.conditions = conditions;
    const old = current.status ?? {};
    const fields = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount', 'conditions'];
    if (fields.every((k) => JSON.stringify(old[k] ?? null) === JSON.stringify(status[k] ?? null)) && revisionOf(current) === (newRs ? revisionOf(newRs) : revisionOf(current))) return;
    const ref = deploymentsIn({ ...DEPLOYMENTS, namespace: d.metadata?.namespace ?? '' });
    try {
      if (newRs && revisionOf(current) !== revisionOf(newRs)) {
        await this.ctx.client.patch(ref, d.metadata?.name ?? '', 'merge', { metadata: { annotations: { [REVISION]: String(revisionOf(newRs)) } } });
      }
      await this.ctx.client.patch(ref, d.metadata?.name ?? '', 'merge', { status }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function deploymentsIn(ref: ResourceRef): ResourceRef {
  return { ...DEPLOYMENTS, ...(ref.namespace ? { namespace: ref.namespace } : {}) };
}

function latest(sets: ReplicaSet[]): ReplicaSet | undefined {
  return [...sets].sort((a, b) => revisionOf(b) - revisionOf(a) || Date.parse(b.metadata?.creationTimestamp ?? '') - Date.parse(a.metadata?.creationTimestamp ?? ''))[0];
}
