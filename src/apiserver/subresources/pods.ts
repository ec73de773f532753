/**
 * Pod subresources the control plane serves itself: binding (the scheduler's "put this pod on
 * that node") and eviction (a delete that respects PodDisruptionBudgets). The streaming ones
 * (log, exec, attach, portforward, proxy) belong to the kubelet and are answered elsewhere.
 */
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import { badRequest, conflict, groupResource, StatusError, success } from '../errors.js';
import type { Registry, WriteContext } from '../registry/store.js';
import { metaTime } from '../registry/object-meta.js';
import { labelSelectorFromObject } from '../selectors/labels.js';

/** POST pods/<name>/binding: sets spec.nodeName once, and the PodScheduled condition. */
export async function bindPod(registry: Registry, info: ResourceInfo, namespace: string, name: string, body: unknown, ctx: WriteContext): Promise<KubeObject> {
  const binding = (body ?? {}) as { kind?: string; metadata?: { name?: string }; target?: { kind?: string; name?: string } };
  if (binding.kind !== undefined && binding.kind !== 'Binding') throw badRequest(`the object provided is unrecognized (must be of type Binding): kind "${binding.kind}"`);
  if (binding.metadata?.name !== undefined && binding.metadata.name !== name) {
    throw badRequest(`the name of the object (${binding.metadata.name}) does not match the name on the URL (${name})`);
  }
  const node = binding.target?.name;
  if (!node) throw badRequest('target.name: Required value: a binding needs a target node');
  if (binding.target?.kind !== undefined && binding.target.kind !== 'Node' && binding.target.kind !== '') {
    throw badRequest(`target.kind: Unsupported value: "${binding.target.kind}": supported values: "Node"`);
  }
  await registry.mutateStored(
    info,
    namespace,
    name,
    (pod) => {
      const spec = ((pod['spec'] ??= {}) as { nodeName?: string });
      if (pod.metadata?.deletionTimestamp) throw conflict(groupResource(info), name, 'pod is being deleted, cannot be assigned to a host');
      if (spec.nodeName) throw conflict(groupResource(info), name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      spec.nodeName = node;
      const status = (pod['status'] ??= {}) as { conditions?: Record<string, unknown>[] };
      const conditions = (status.conditions ?? []).filter((c) => c['type'] !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: metaTime(new Date()) });
      status.conditions = conditions;
    },
    ctx.dryRun,
  );
  return { ...success(groupResource(info), name), code: 201 } as unknown as KubeObject;
}

/** POST pods/<name>/eviction: deletes the pod unless a PodDisruptionBudget forbids it (429). */
export async function evictPod(registry: Registry, info: ResourceInfo, pdbInfo: ResourceInfo | undefined, namespace: string, name: string, body: unknown, ctx: WriteContext): Promise<KubeObject> {
  const eviction = (body ?? {}) as { kind?: string; metadata?: { name?: string }; deleteOptions?: Record<string, unknown> };
  if (eviction.kind !== undefined && eviction.kind !== 'Eviction') throw badRequest(`the object provided is unrecognized (must be of type Eviction): kind "${eviction.kind}"`);
  if (eviction.metadata?.name !== undefined && eviction.metadata.name !== name) {
    throw badRequest(`the name of the object (${eviction.metadata.name}) does not match the name on the URL (${name})`);
  }
  const pod = await registry.get(info, namespace, name);
  const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
  if (pdbInfo && phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp) {
    const pdbs = await registry.list(pdbInfo, namespace, { labels: labelSelectorFromObject(undefined), fields: { requirements: [], empty: true, matches: () => true, exact: () => undefined } });
    for (const entry of pdbs.items) {
      const pdb = entry.object;
      const selector = labelSelectorFromObject((pdb['spec'] as { selector?: unknown } | undefined)?.selector);
      if (selector.empty || !selector.matches(pod.metadata?.labels)) continue;
      const allowed = (pdb['status'] as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed ?? 0;
      if (allowed <= 0) {
        throw new StatusError(429, 'TooManyRequests', `Cannot evict pod as it would violate the pod's disruption budget.`, {
          causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata?.name ?? ''} needs ${String((pdb['status'] as { desiredHealthy?: number } | undefined)?.desiredHealthy ?? 0)} healthy pods and has ${String((pdb['status'] as { currentHealthy?: number } | undefined)?.currentHealthy ?? 0)} currently` }],
        });
      }
    }
  }
  const options = eviction.deleteOptions ?? {};
  await registry.delete(
    info,
    namespace,
    name,
    {
      ...(typeof options['gracePeriodSeconds'] === 'number' ? { gracePeriodSeconds: options['gracePeriodSeconds'] } : {}),
      ...(options['preconditions'] ? { preconditions: options['preconditions'] as { uid?: string; resourceVersion?: string } } : {}),
    },
    { user: ctx.user, dryRun: ctx.dryRun },
  );
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } as unknown as KubeObject;
}
