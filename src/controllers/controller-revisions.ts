/**
 * ControllerRevisions: the history StatefulSets and DaemonSets keep of their pod templates (what
 * `kubectl rollout history/undo` reads for them). A revision is named <owner>-<template hash>,
 * stores the template as a replace patch ({"spec":{"template":{...,"$patch":"replace"}}}) as
 * upstream does, and carries a revision number; going back to an old template renumbers its
 * revision instead of creating a new one.
 */
import type { KubeObject, OwnerReference } from '../api/types.js';
import { isAlreadyExists, isNotFound, type ApiClient, type ResourceRef } from '../client/types.js';
import { canonical, templateHash, type PodTemplate } from './deployment-util.js';

export const REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions' } as const;
export const REVISION_HASH_LABEL = 'controller-revision-hash';

export type ControllerRevision = KubeObject & { data?: { spec?: { template?: PodTemplate & { $patch?: string } } }; revision?: number };

export interface RevisionOwner {
  readonly object: KubeObject;
  readonly apiVersion: string;
  readonly kind: string;
  readonly template: PodTemplate | undefined;
}

/** The template a revision recorded. */
export function templateOf(revision: ControllerRevision): PodTemplate {
  const { $patch: _patch, ...template } = revision.data?.spec?.template ?? {};
  return template;
}

function dataFor(template: PodTemplate | undefined): NonNullable<ControllerRevision['data']> {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } };
}

export function sameRevisionData(revision: ControllerRevision, template: PodTemplate | undefined): boolean {
  return canonical(revision.data) === canonical(dataFor(template));
}

export function hashOf(template: PodTemplate | undefined, collisionCount = 0): string {
  return templateHash(template, collisionCount);
}

/**
 * The revision of the owner's current template among `revisions` (renumbered to be the newest if
 * it was an older one), created if there is none. Returns it and the full, updated list.
 */
export async function ensureRevision(client: ApiClient, owner: RevisionOwner, revisions: ControllerRevision[], labels: Record<string, string>): Promise<{ revision: ControllerRevision; all: ControllerRevision[] }> {
  const ns = owner.object.metadata?.namespace ?? '';
  const ref: ResourceRef = { ...REVISIONS, namespace: ns };
  const max = Math.max(0, ...revisions.map((r) => r.revision ?? 0));
  const equal = revisions.filter((r) => sameRevisionData(r, owner.template)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
  const existing = equal[0];
  if (existing) {
    if ((existing.revision ?? 0) >= max) return { revision: existing, all: revisions };
    const updated = await client.patch<ControllerRevision>(ref, existing.metadata?.name ?? '', 'merge', { revision: max + 1 });
    return { revision: updated, all: revisions.map((r) => (r === existing ? updated : r)) };
  }
  const ownerRef: OwnerReference = { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.object.metadata?.name ?? '', uid: owner.object.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
  for (let collision = 0; collision < 10; collision++) {
    const hash = hashOf(owner.template, collision);
    const name = `${owner.object.metadata?.name}-${hash}`;
    const body: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name, namespace: ns, labels: { ...labels, [REVISION_HASH_LABEL]: hash }, ownerReferences: [ownerRef] },
      data: dataFor(owner.template),
      revision: max + 1,
    };
    try {
      const created = await client.create<ControllerRevision>(ref, body);
      return { revision: created, all: [...revisions, created] };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Ours but not yet in the cache, or a hash collision with another template.
      const found = await client.get<ControllerRevision>(ref, name);
      if (sameRevisionData(found, owner.template) && found.metadata?.ownerReferences?.some((o) => o.uid === ownerRef.uid)) return { revision: found, all: [...revisions, found] };
    }
  }
  throw new Error(`could not name a ControllerRevision for ${owner.kind} ${ns}/${owner.object.metadata?.name}: hash collisions`);
}

/** Deletes the oldest revisions beyond `limit`, never one in `live` (revisions pods still run). */
export async function truncateHistory(client: ApiClient, revisions: ControllerRevision[], live: ReadonlySet<string>, limit: number): Promise<void> {
  const old = revisions.filter((r) => !live.has(r.metadata?.name ?? '')).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  for (const r of old.slice(0, Math.max(0, old.length - limit))) {
    try {
      await client.delete({ ...REVISIONS, namespace: r.metadata?.namespace ?? '' }, r.metadata?.name ?? '', { preconditions: { uid: r.metadata?.uid ?? '' } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
