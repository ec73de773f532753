/**
 * ResourceQuota controller: status.hard mirrors spec.hard and status.used is recomputed from the
 * objects of the namespace (pods that have not finished, Services, claims, configmaps, secrets,
 * count/<resource>.<group> of built-in groups and custom resources), whenever the quota or a
 * watched object changes, and on a periodic resync: the only trigger for kinds not watched, and
 * what corrects charges admission took for creations that then failed. Admission
 * (src/apiserver/admission/resource-quota.ts) enforces the limits.
 */
import type { KubeObject } from '../api/types.js';
import { objectKey, splitKey, type Informer } from '../client/informer.js';
import { isConflict, isNotFound, type ResourceRef } from '../client/types.js';
import { addUsage, canonicalQuantity, formatMilli, matchesScopes, targetsFor, usageOf, type QuotaSpec, type QuotaTarget, type Usage } from '../quota/index.js';
import { QueueController, type ControllerContext } from './controller.js';

const QUOTAS = { group: '', version: 'v1', resource: 'resourcequotas' } as const;
const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' } as const;
/** Objects whose changes are watched (others are counted on the resync). */
const WATCHED = ['pods', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets', 'replicationcontrollers'] as const;
/** The served version of the groups whose objects count/<resource>.<group> can count. */
const GROUP_VERSIONS: Readonly<Record<string, string>> = {
  '': 'v1',
  apps: 'v1',
  batch: 'v1',
  'networking.k8s.io': 'v1',
  policy: 'v1',
  'rbac.authorization.k8s.io': 'v1',
  'storage.k8s.io': 'v1',
  'discovery.k8s.io': 'v1',
  'coordination.k8s.io': 'v1',
  autoscaling: 'v2',
  'events.k8s.io': 'v1',
};

type Quota = KubeObject & { spec?: QuotaSpec; status?: { hard?: Record<string, string>; used?: Record<string, string> } };

export interface ResourceQuotaControllerOptions {
  /** How often every quota is recomputed regardless of events (upstream: 5 min). */
  readonly resyncMs?: number;
}

export class ResourceQuotaController extends QueueController {
  readonly name = 'resourcequota-controller';
  private quotas!: Informer<Quota>;
  private readonly resyncMs: number;

  constructor(options: ResourceQuotaControllerOptions = {}) {
    super();
    this.resyncMs = options.resyncMs ?? 60_000;
  }

  protected register(ctx: ControllerContext): void {
    this.quotas = ctx.informers.for<Quota>(QUOTAS);
    this.quotas.addIndex('quota-namespace', (q) => [q.metadata?.namespace ?? '']);
    this.quotas.addHandlers({
      onAdd: (q) => this.queue.add(objectKey(q)),
      // Admission moving status.used is not a reason to recount; a new spec.hard is.
      onUpdate: (q, old) => (JSON.stringify(q.spec) !== JSON.stringify(old.spec) || Object.keys(q.spec?.hard ?? {}).length !== Object.keys(q.status?.hard ?? {}).length ? this.queue.add(objectKey(q)) : undefined),
    });
    const forNamespace = (o: KubeObject): void => {
      for (const q of this.quotas.byIndex('quota-namespace', o.metadata?.namespace ?? '')) this.queue.add(objectKey(q));
    };
    for (const resource of WATCHED) {
      ctx.informers.for({ group: '', version: 'v1', resource }).addHandlers({
        onAdd: forNamespace,
        onDelete: forNamespace,
        // Only what changes usage: a pod finishing, a Service changing type, a claim growing.
        onUpdate: (o, old) => (resource === 'pods' || resource === 'services' || resource === 'persistentvolumeclaims') && JSON.stringify([o['spec'], (o['status'] as { phase?: string } | undefined)?.phase]) !== JSON.stringify([old['spec'], (old['status'] as { phase?: string } | undefined)?.phase]) ? forNamespace(o) : undefined,
      });
    }
  }

  override async run(signal: AbortSignal): Promise<void> {
    const timer = setInterval(() => {
      for (const q of this.quotas.list()) this.queue.add(objectKey(q));
    }, this.resyncMs);
    try {
      await super.run(signal);
    } finally {
      clearInterval(timer);
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const quota = this.quotas.get(key);
    if (!quota) return;
    const { namespace = '' } = splitKey(key);
    const spec = quota.spec ?? {};
    const hardNames = Object.keys(spec.hard ?? {}).sort();
    const total: Usage = new Map();
    for (const target of targetsFor(hardNames)) {
      const objects = await this.objectsOf(target, namespace);
      if (!objects) continue;
      for (const o of objects) if (matchesScopes(spec, target, o)) addUsage(total, usageOf(target, o));
    }
    const hard: Record<string, string> = {};
    const used: Record<string, string> = {};
    for (const name of hardNames) {
      hard[name] = canonicalQuantity(spec.hard?.[name], name);
      if (!name.startsWith('count/') || (await this.countable(name))) used[name] = formatMilli(total.get(name) ?? 0n, name);
    }
    const status = { hard, used };
    if (JSON.stringify(status) === JSON.stringify({ hard: sortKeys(quota.status?.hard), used: sortKeys(quota.status?.used) })) return;
    try {
      await this.ctx.client.update({ ...QUOTAS, namespace }, { ...quota, status } as KubeObject, { subresource: 'status' });
    } catch (err) {
      // An admission charge came first: the informer brings the quota back here.
      if (isNotFound(err) || isConflict(err)) {
        if (isConflict(err)) this.queue.addAfter(key, 100);
        return;
      }
      throw err;
    }
  }

  /** Whether count/<resource>.<group> names something this server serves (a built-in group or a CRD). */
  private async countable(name: string): Promise<boolean> {
    const rest = name.slice('count/'.length);
    const dot = rest.indexOf('.');
    const target = { group: dot < 0 ? '' : rest.slice(dot + 1), resource: dot < 0 ? rest : rest.slice(0, dot) };
    return (await this.versionOf(target)) !== undefined;
  }

  /** The served version: built-in groups from the table, custom resources from their CRD's storage version. */
  private async versionOf(target: QuotaTarget): Promise<string | undefined> {
    const builtIn = GROUP_VERSIONS[target.group];
    if (builtIn) return builtIn;
    try {
      const crd = await this.ctx.client.get(CRDS, `${target.resource}.${target.group}`);
      const versions = ((crd['spec'] as { versions?: { name: string; served?: boolean; storage?: boolean }[] } | undefined)?.versions ?? []).filter((v) => v.served !== false);
      return (versions.find((v) => v.storage) ?? versions[0])?.name;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async objectsOf(target: QuotaTarget, namespace: string): Promise<KubeObject[] | undefined> {
    const version = await this.versionOf(target);
    if (!version) return undefined;
    const ref: ResourceRef = { group: target.group, version, resource: target.resource, namespace };
    try {
      return (await this.ctx.client.list(ref)).items;
    } catch (err) {
      // A resource this server does not serve counts nothing.
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

function sortKeys(record: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
