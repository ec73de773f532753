/**
 * Pod subresources the control plane serves itself: binding (the scheduler's "put this pod on
 * that node") and eviction (a delete that respects PodDisruptionBudgets). The streaming ones
 * (log, exec, attach, portforward, proxy) belong to the kubelet and are answered elsewhere.
 */
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import { badRequest, conflict, forbidden, groupResource, StatusError, success } from '../errors.js';
import type { Registry, WriteContext } from '../registry/store.js';
import { KeyedLock } from '../registry/keyed-lock.js';
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

/** Evictions under one budget take their disruption one at a time (no compare-and-swap races). */
const budgetLock = new KeyedLock();

/** Most evictions the PDB may hold unconfirmed, as upstream (MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;

type Pdb = KubeObject & {
  spec?: { selector?: unknown; unhealthyPodEvictionPolicy?: string };
  status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; disruptedPods?: Record<string, string>; conditions?: Record<string, unknown>[] };
};

function budgetViolated(cause: string): StatusError {
  return new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", { causes: [{ reason: 'DisruptionBudget', message: cause }] });
}

/**
 * Upstream's checkAndDecrement, run inside a compare-and-swap of the PDB: an eviction takes one
 * of the allowed disruptions and is remembered in disruptedPods until the disruption controller
 * sees the pod go, so concurrent evictions can never overrun the budget.
 */
function takeDisruption(pdb: Pdb, podName: string, now: Date): void {
  const status = (pdb.status ??= {});
  const name = pdb.metadata?.name ?? '';
  if ((status.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) throw budgetViolated(`The disruption budget ${name} is still being processed by the server.`);
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw forbidden({ group: 'policy', resource: 'poddisruptionbudgets' }, name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw forbidden({ group: 'policy', resource: 'poddisruptionbudgets' }, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) throw budgetViolated(`The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`);
  status.disruptionsAllowed = allowed - 1;
  if (status.disruptionsAllowed === 0) {
    const previous = status.conditions?.find((c) => c['type'] === 'DisruptionAllowed');
    const others = (status.conditions ?? []).filter((c) => c['type'] !== 'DisruptionAllowed');
    const changed = previous?.['status'] !== 'False';
    status.conditions = [
      ...others,
      { type: 'DisruptionAllowed', status: 'False', observedGeneration: status.observedGeneration ?? 0, reason: 'InsufficientPods', message: '', lastTransitionTime: changed ? metaTime(now) : previous?.['lastTransitionTime'] },
    ];
  }
  status.disruptedPods = { ...status.disruptedPods, [podName]: metaTime(now) };
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
  return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/**
 * POST pods/<name>/eviction: deletes the pod unless its PodDisruptionBudget has no disruption
 * left (429). Pods that are finished, pending or already being deleted are never protected, and
 * a pod that is not ready is not counted against a budget that is met (IfHealthyBudget) or that
 * says AlwaysAllow.
 */
export async function evictPod(registry: Registry, info: ResourceInfo, pdbInfo: ResourceInfo | undefined, namespace: string, name: string, body: unknown, ctx: WriteContext): Promise<KubeObject> {
  const eviction = (body ?? {}) as { kind?: string; metadata?: { name?: string }; deleteOptions?: Record<string, unknown> };
  if (eviction.kind !== undefined && eviction.kind !== 'Eviction') throw badRequest(`the object provided is unrecognized (must be of type Eviction): kind "${eviction.kind}"`);
  if (eviction.metadata?.name !== undefined && eviction.metadata.name !== name) {
    throw badRequest(`the name of the object (${eviction.metadata.name}) does not match the name on the URL (${name})`);
  }
  const pod = await registry.get(info, namespace, name);
  const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
  const ignoresBudgets = phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata?.deletionTimestamp !== undefined;
  if (pdbInfo && !ignoresBudgets) {
    const all = await registry.list(pdbInfo, namespace, { labels: labelSelectorFromObject(undefined), fields: { requirements: [], empty: true, matches: () => true, exact: () => undefined } });
    // policy/v1: a null selector selects nothing, an empty one every pod of the namespace.
    const pdbs = all.items
      .map((e) => e.object as Pdb)
      .filter((pdb) => pdb.spec?.selector !== undefined && pdb.spec.selector !== null && labelSelectorFromObject(pdb.spec.selector).matches(pod.metadata?.labels));
    if (pdbs.length > 1) throw new StatusError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    const pdb = pdbs[0];
    if (pdb) {
      const status = pdb.status ?? {};
      const policy = pdb.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
      const unhealthyMayGo = !isReady(pod) && (policy === 'AlwaysAllow' || ((status.desiredHealthy ?? 0) > 0 && (status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0)));
      if (!unhealthyMayGo) {
        const pdbName = pdb.metadata?.name ?? '';
        await budgetLock.run(`${namespace}/${pdbName}`, () => registry.mutateStored(pdbInfo, namespace, pdbName, (stored) => takeDisruption(stored as Pdb, name, new Date()), ctx.dryRun));
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
