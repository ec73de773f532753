/**
 * The scale subresource (autoscaling/v1 Scale) of deployments, replicasets, statefulsets and
 * replicationcontrollers: a view of spec.replicas, status.replicas and the selector; writes
 * change only spec.replicas of the parent (kubectl scale PATCHes it with a merge patch).
 */
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import type { PatchType } from '../../client/types.js';
import { badRequest, conflict, groupResource, invalid, StatusError } from '../errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, NO_PATCH_META, PatchError, type JsonObject, type JsonValue } from '../patch/index.js';
import type { Registry, WriteContext } from '../registry/store.js';
import { selectorString } from '../../api/tables/format.js';

function selectorOf(object: KubeObject): string {
  const selector = (object['spec'] as { selector?: unknown } | undefined)?.selector;
  if (selector === undefined) return '';
  // ReplicationControllers have a plain map selector; the apps kinds a LabelSelector.
  if (selector !== null && typeof selector === 'object' && !('matchLabels' in selector) && !('matchExpressions' in selector)) {
    return selectorString({ matchLabels: selector });
  }
  return selectorString(selector);
}

export function scaleOf(object: KubeObject): KubeObject {
  const meta = object.metadata ?? {};
  const spec = (object['spec'] ?? {}) as { replicas?: number };
  const status = (object['status'] ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name!,
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      uid: meta.uid!,
      resourceVersion: meta.resourceVersion!,
      creationTimestamp: meta.creationTimestamp!,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorOf(object) },
  };
}

export async function getScale(registry: Registry, info: ResourceInfo, namespace: string, name: string): Promise<KubeObject> {
  return scaleOf(await registry.get(info, namespace, name));
}

function checkScale(info: ResourceInfo, name: string, scale: unknown): number {
  if (scale === null || typeof scale !== 'object') throw badRequest('the body must be an autoscaling/v1 Scale');
  const s = scale as KubeObject;
  if (s.kind !== undefined && s.kind !== 'Scale') throw badRequest(`the object provided is unrecognized (must be of type Scale): kind "${String(s.kind)}"`);
  const replicas = (s['spec'] as { replicas?: unknown } | undefined)?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw badRequest('spec.replicas must be an integer');
  if (replicas < 0) {
    throw invalid('autoscaling', 'Scale', name, [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
  }
  return replicas;
}

/** PUT or PATCH of a Scale: the new replicas land in the parent's spec. */
export async function writeScale(
  registry: Registry,
  info: ResourceInfo,
  namespace: string,
  name: string,
  ctx: WriteContext,
  change: { body: unknown } | { type: PatchType; patch: unknown },
): Promise<KubeObject> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await registry.get(info, namespace, name);
    const scale = scaleOf(current);
    let next: unknown;
    if ('body' in change) next = change.body;
    else {
      try {
        if (change.type === 'json') next = applyJsonPatch(scale as JsonObject, change.patch);
        else if (change.type === 'merge') next = applyMergePatch(scale as JsonObject, change.patch);
        else if (change.type === 'strategic') next = applyStrategicMergePatch(scale as JsonValue, change.patch, NO_PATCH_META);
        else throw badRequest('apply is not supported on the scale subresource; use a merge patch');
      } catch (err) {
        if (err instanceof PatchError) throw badRequest(err.message);
        throw err;
      }
    }
    const replicas = checkScale(info, name, next);
    const rv = (next as KubeObject).metadata?.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== current.metadata?.resourceVersion) throw conflict(groupResource(info), name);
    const updated = structuredClone(current);
    updated['spec'] = { ...((updated['spec'] as object | undefined) ?? {}), replicas };
    try {
      const result = await registry.update(info, namespace, name, updated, ctx);
      return scaleOf(result.object);
    } catch (err) {
      // Someone else wrote the parent in between: retry unless the caller pinned a version.
      if (err instanceof StatusError && err.status.reason === 'Conflict' && (rv === undefined || rv === '')) continue;
      throw err;
    }
  }
  throw conflict(groupResource(info), name);
}
