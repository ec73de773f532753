/**
 * Disruption controller: the status of every PodDisruptionBudget, which the eviction subresource
 * (src/apiserver/subresources/pods.ts) reads and decrements. For the pods its selector picks:
 * currentHealthy (Ready, not being deleted, not recently evicted), desiredHealthy and
 * expectedPods from minAvailable / maxUnavailable (integers, or percentages of the scale of the
 * pods' controllers), disruptionsAllowed, the DisruptionAllowed condition, and disruptedPods
 * (evictions not yet seen as deletions, forgotten after two minutes as upstream).
 */
import type { KubeObject } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isConflict, isNotFound } from '../client/types.js';
import { QueueController, type ControllerContext } from './controller.js';
import { controllerOf, isPodReady, type PodLike } from './pods.js';

const PDBS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' } as const;
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;
const STATEFULSETS = { group: 'apps', version: 'v1', resource: 'statefulsets' } as const;
const RCS = { group: '', version: 'v1', resource: 'replicationcontrollers' } as const;
/** An eviction the controller has not seen become a deletion within this long is forgotten. */
const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

type IntOrString = number | string;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface PdbStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Condition[];
}

type Pdb = KubeObject & { spec?: { selector?: unknown; minAvailable?: IntOrString; maxUnavailable?: IntOrString }; status?: Partial<PdbStatus> };
type Scaled = KubeObject & { spec?: { replicas?: number } };

/** An int-or-percent scaled against `total`, rounded up (intstr.GetScaledValueFromIntOrPercent with roundUp). */
export function scaledValue(value: IntOrString, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    if (/^\d+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** Sets the DisruptionAllowed condition from disruptionsAllowed (upstream's UpdateDisruptionAllowedCondition). */
export function withDisruptionCondition(status: PdbStatus, now: string, failure?: string): PdbStatus {
  const allowed = failure === undefined && status.disruptionsAllowed > 0;
  const wanted: Condition = {
    type: 'DisruptionAllowed',
    status: allowed ? 'True' : 'False',
    ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    reason: failure !== undefined ? 'SyncFailed' : allowed ? 'SufficientPods' : 'InsufficientPods',
    message: failure ?? '',
  };
  const others = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionAllowed');
  const previous = status.conditions?.find((c) => c.type === 'DisruptionAllowed');
  const lastTransitionTime = previous && previous.status === wanted.status && previous.lastTransitionTime ? previous.lastTransitionTime : now;
  return { ...status, conditions: [...others, { ...wanted, lastTransitionTime }] };
}

/** JSON with sorted keys: the stored status may list its fields in another order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

function stamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

export class DisruptionController extends QueueController {
  readonly name = 'disruption-controller';
  private pdbs!: Informer<Pdb>;
  private pods!: Informer<PodLike>;
  private replicaSets!: Informer<Scaled>;
  private deployments!: Informer<Scaled>;
  private statefulSets!: Informer<Scaled>;
  private rcs!: Informer<Scaled>;

  protected register(ctx: ControllerContext): void {
    this.pdbs = ctx.informers.for<Pdb>(PDBS);
    this.pods = ctx.informers.for<PodLike>(PODS);
    this.replicaSets = ctx.informers.for<Scaled>(REPLICASETS);
    this.deployments = ctx.informers.for<Scaled>(DEPLOYMENTS);
    this.statefulSets = ctx.informers.for<Scaled>(STATEFULSETS);
    this.rcs = ctx.informers.for<Scaled>(RCS);
    this.pdbs.addIndex('disruption-namespace', (p) => [p.metadata?.namespace ?? '']);
    const enqueue = (p: Pdb): void => this.queue.add(objectKey(p));
    this.pdbs.addHandlers({ onAdd: enqueue, onUpdate: enqueue });
    const forPod = (pod: PodLike, old?: PodLike): void => {
      for (const pdb of this.pdbs.byIndex('disruption-namespace', pod.metadata?.namespace ?? '')) {
        if (this.selects(pdb, pod) || (old && this.selects(pdb, old))) this.queue.add(objectKey(pdb));
      }
    };
    this.pods.addHandlers({ onAdd: (p) => forPod(p), onUpdate: (p, old) => forPod(p, old), onDelete: (p) => forPod(p) });
    // A controller's scale is part of expectedPods for percentages and maxUnavailable.
    const forNamespace = (o: KubeObject): void => {
      for (const pdb of this.pdbs.byIndex('disruption-namespace', o.metadata?.namespace ?? '')) this.queue.add(objectKey(pdb));
    };
    for (const inf of [this.replicaSets, this.deployments, this.statefulSets, this.rcs]) inf.addHandlers({ onAdd: forNamespace, onUpdate: (o, old) => (o.spec?.replicas !== old.spec?.replicas ? forNamespace(o) : undefined), onDelete: forNamespace });
  }

  /** policy/v1: a null selector selects nothing, an empty one every pod of the namespace. */
  private selects(pdb: Pdb, pod: PodLike): boolean {
    const selector = pdb.spec?.selector;
    if (selector === undefined || selector === null) return false;
    return pod.metadata?.namespace === pdb.metadata?.namespace && labelSelectorFromObject(selector).matches(pod.metadata?.labels);
  }

  protected async reconcile(key: string): Promise<void> {
    const pdb = this.pdbs.get(key);
    if (!pdb) return;
    const { namespace = '' } = splitKey(key);
    const now = this.ctx.now();
    const pods = this.pods.list().filter((p) => p.metadata?.namespace === namespace && this.selects(pdb, p));
    if (pods.length === 0) void this.ctx.events.event(pdb, 'Normal', 'NoPods', 'No matching pods found');

    let expected: { expectedCount: number; desiredHealthy: number };
    try {
      expected = this.expectedPods(pdb, pods);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      void this.ctx.events.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${message}`);
      // Fail safe: nothing may be evicted while the budget cannot be computed.
      const status = withDisruptionCondition({ ...this.baseStatus(pdb), disruptionsAllowed: 0 }, stamp(now), message);
      await this.writeStatus(pdb, status);
      return;
    }

    const { disrupted, recheckAt } = this.disruptedPods(pdb, pods, now.getTime());
    const currentHealthy = pods.filter((p) => !p.metadata?.deletionTimestamp && disrupted[p.metadata?.name ?? ''] === undefined && isPodReady(p)).length;
    const disruptionsAllowed = expected.expectedCount <= 0 ? 0 : Math.max(0, currentHealthy - expected.desiredHealthy);
    const status = withDisruptionCondition(
      {
        observedGeneration: pdb.metadata?.generation ?? 0,
        ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
        disruptionsAllowed,
        currentHealthy,
        desiredHealthy: expected.desiredHealthy,
        expectedPods: expected.expectedCount,
        ...(pdb.status?.conditions ? { conditions: pdb.status.conditions } : {}),
      },
      stamp(now),
    );
    await this.writeStatus(pdb, status);
    if (recheckAt !== undefined) this.queue.addAfter(key, Math.max(0, recheckAt - now.getTime()));
  }

  private baseStatus(pdb: Pdb): PdbStatus {
    return {
      observedGeneration: pdb.metadata?.generation ?? 0,
      ...(pdb.status?.disruptedPods ? { disruptedPods: pdb.status.disruptedPods } : {}),
      disruptionsAllowed: 0,
      currentHealthy: pdb.status?.currentHealthy ?? 0,
      desiredHealthy: pdb.status?.desiredHealthy ?? 0,
      expectedPods: pdb.status?.expectedPods ?? 0,
      ...(pdb.status?.conditions ? { conditions: pdb.status.conditions } : {}),
    };
  }

  /** Upstream's getExpectedPodCount. */
  private expectedPods(pdb: Pdb, pods: PodLike[]): { expectedCount: number; desiredHealthy: number } {
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};
    if (maxUnavailable !== undefined && maxUnavailable !== null) {
      const expectedCount = this.expectedScale(pdb, pods);
      return { expectedCount, desiredHealthy: Math.max(0, expectedCount - scaledValue(maxUnavailable, expectedCount)) };
    }
    if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable };
    if (typeof minAvailable === 'string') {
      const expectedCount = this.expectedScale(pdb, pods);
      return { expectedCount, desiredHealthy: scaledValue(minAvailable, expectedCount) };
    }
    return { expectedCount: pods.length, desiredHealthy: 0 };
  }

  /** The sum of spec.replicas over the distinct controllers of the pods (a Deployment stands for its ReplicaSets). */
  private expectedScale(pdb: Pdb, pods: PodLike[]): number {
    const scales = new Map<string, number>();
    let unmanaged = 0;
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (!ref) {
        unmanaged++;
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = this.controllerScale(pod.metadata?.namespace ?? '', ref);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name ?? ''}"`);
      scales.set(found.uid, found.replicas);
    }
    if (unmanaged > 0) {
      void this.ctx.events.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    let total = 0;
    for (const n of scales.values()) total += n;
    return total;
  }

  private controllerScale(namespace: string, ref: { kind: string; name: string; uid: string }): { uid: string; replicas: number } | undefined {
    const byUid = (inf: Informer<Scaled>, name: string, uid: string): Scaled | undefined => {
      const o = inf.get(`${namespace}/${name}`);
      return o && o.metadata?.uid === uid ? o : undefined;
    };
    const scaled = (o: Scaled): { uid: string; replicas: number } => ({ uid: o.metadata?.uid ?? '', replicas: o.spec?.replicas ?? 1 });
    if (ref.kind === 'ReplicaSet') {
      const rs = byUid(this.replicaSets, ref.name, ref.uid);
      if (!rs) return undefined;
      const owner = controllerOf(rs);
      if (owner?.kind === 'Deployment') {
        const d = byUid(this.deployments, owner.name, owner.uid);
        return d ? scaled(d) : undefined;
      }
      return scaled(rs);
    }
    if (ref.kind === 'StatefulSet') {
      const s = byUid(this.statefulSets, ref.name, ref.uid);
      return s ? scaled(s) : undefined;
    }
    if (ref.kind === 'ReplicationController') {
      const rc = byUid(this.rcs, ref.name, ref.uid);
      return rc ? scaled(rc) : undefined;
    }
    return undefined;
  }

  /** disruptedPods without the pods that are gone, being deleted, or evicted too long ago. */
  private disruptedPods(pdb: Pdb, pods: PodLike[], nowMs: number): { disrupted: Record<string, string>; recheckAt?: number } {
    const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
    const disrupted: Record<string, string> = {};
    let recheckAt: number | undefined;
    for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const pod = byName.get(name);
      if (!pod || pod.metadata?.deletionTimestamp) continue;
      const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (!Number.isFinite(expires) || expires < nowMs) {
        this.ctx.log.info({ pdb: objectKey(pdb), pod: name }, 'pod was expected to be deleted after its eviction but is still there');
        continue;
      }
      disrupted[name] = at;
      recheckAt = Math.min(recheckAt ?? Infinity, expires);
    }
    return recheckAt !== undefined ? { disrupted, recheckAt } : { disrupted };
  }

  private async writeStatus(pdb: Pdb, status: PdbStatus): Promise<void> {
    if (canonical(status) === canonical(pdb.status ?? {})) return;
    try {
      await this.ctx.client.update({ ...PDBS, namespace: pdb.metadata?.namespace ?? '' }, { ...pdb, status } as KubeObject, { subresource: 'status' });
    } catch (err) {
      // A conflict means an eviction or an edit came first; the informer brings it back here.
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }
}
