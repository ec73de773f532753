/**
 * ResourceQuota enforcement at admission, as upstream's plugin: a create (or an update that
 * grows a Service or a claim) is charged to every quota of its namespace that tracks what it
 * uses. The charge is taken by compare-and-swap on the quota's status.used, so concurrent
 * creations cannot overrun a quota between two runs of the quota controller (which recomputes
 * status.used from the objects). Refusals are 403 Forbidden with upstream's messages:
 * "exceeded quota: NAME, requested: ..., used: ..., limited: ...", "failed quota: NAME: must
 * specify ...", "status unknown for quota: NAME, resource: ...".
 */
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import { formatMilli, matchesScopes, missingStatements, toMilli, usageOf, type QuotaSpec, type QuotaTarget, type Usage } from '../../quota/index.js';
import { forbidden, groupResource, StatusError } from '../errors.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/admission.js';
import { KeyedLock } from '../registry/keyed-lock.js';
import type { Registry } from '../registry/store.js';
import type { WatchCache } from '../watch-cache.js';

export interface ResourceQuotaOptions {
  readonly cache: WatchCache;
  /** The registry and the ResourceQuota kind, available once the server is built. */
  readonly registry: () => Registry;
  readonly quotaInfo: () => ResourceInfo;
}

const PREFIX = '/registry/resourcequotas/';
/** Updates can only change what these cost. */
const GROWS_ON_UPDATE = new Set(['services', 'persistentvolumeclaims']);

type Quota = KubeObject & { spec?: QuotaSpec; status?: { hard?: Record<string, string>; used?: Record<string, string> } };

function pretty(names: readonly string[], values: (name: string) => string): string {
  return [...names].sort().map((n) => `${n}=${values(n)}`).join(',');
}

/** new minus old, keeping only what grows (a shrink is the controller's to notice). */
function growth(now: Usage, before: Usage | undefined): Usage {
  if (!before) return now;
  const out: Usage = new Map();
  for (const [k, v] of now) {
    const d = v - (before.get(k) ?? 0n);
    if (d > 0n) out.set(k, d);
  }
  return out;
}

export function resourceQuotaAdmission(options: ResourceQuotaOptions): AdmissionPlugin {
  // One charge at a time per namespace (upstream batches them per namespace too): a ReplicaSet's
  // slow-start batch would otherwise race for one quota's resourceVersion and run out of retries.
  const lock = new KeyedLock();
  return {
    name: 'ResourceQuota',
    async admit(attrs: AdmissionAttributes) {
      if (attrs.subresource !== '' || attrs.namespace === '' || !attrs.info.namespaced) return;
      if (attrs.operation === 'UPDATE' && !(attrs.info.group === '' && GROWS_ON_UPDATE.has(attrs.info.resource))) return;
      if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
      const quotas = options.cache.list(PREFIX, `${PREFIX}${attrs.namespace}/`).map((e) => e.object as Quota);
      if (quotas.length === 0) return;
      const target: QuotaTarget = { group: attrs.info.group, resource: attrs.info.resource };
      const delta = growth(usageOf(target, attrs.object), attrs.old ? usageOf(target, attrs.old) : undefined);
      if (delta.size === 0) return;
      const name = attrs.object.metadata?.name ?? '';
      const gr = groupResource(attrs.info);
      const sorted = quotas.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      for (const quota of sorted) {
        const spec = quota.spec ?? {};
        if (!matchesScopes(spec, target, attrs.object)) continue;
        const hardNames = Object.keys(spec.hard ?? {});
        const quotaName = quota.metadata?.name ?? '';
        if (target.group === '' && target.resource === 'pods' && attrs.operation === 'CREATE') {
          const missing = missingStatements(attrs.object, hardNames);
          if (missing.size > 0) {
            const what = [...missing.keys()].sort().map((r) => `${r} for: ${[...new Set(missing.get(r))].sort().join(',')}`);
            throw forbidden(gr, name, `failed quota: ${quotaName}: must specify ${what.join('; ')}`);
          }
        }
        const charged = hardNames.filter((r) => delta.has(r));
        if (charged.length === 0) continue;
        try {
          await lock.run(attrs.namespace, () =>
            options.registry().mutateStored(options.quotaInfo(), attrs.namespace, quotaName, (stored) => charge(stored as Quota, charged, delta, (why) => forbidden(gr, name, why)), attrs.dryRun),
          );
        } catch (err) {
          // A quota deleted meanwhile no longer limits anything.
          if (err instanceof StatusError && err.code === 404) continue;
          throw err;
        }
      }
    },
  };
}

/** Adds `delta` to the quota's status.used, or throws when that would pass status.hard. */
function charge(quota: Quota, charged: readonly string[], delta: Usage, refuse: (why: string) => StatusError): void {
  const quotaName = quota.metadata?.name ?? '';
  const hard = quota.status?.hard ?? {};
  const used = quota.status?.used ?? {};
  const unknown = charged.filter((r) => hard[r] === undefined || used[r] === undefined);
  if (unknown.length > 0) throw refuse(`status unknown for quota: ${quotaName}, resource: ${[...unknown].sort().join(',')}`);
  const next = new Map<string, bigint>();
  const exceeded: string[] = [];
  for (const r of charged) {
    const total = (toMilli(used[r]) ?? 0n) + (delta.get(r) ?? 0n);
    next.set(r, total);
    if (total > (toMilli(hard[r]) ?? 0n)) exceeded.push(r);
  }
  if (exceeded.length > 0) {
    throw refuse(
      `exceeded quota: ${quotaName}, requested: ${pretty(exceeded, (r) => formatMilli(delta.get(r) ?? 0n, r))}, used: ${pretty(exceeded, (r) => used[r] ?? '0')}, limited: ${pretty(exceeded, (r) => hard[r] ?? '0')}`,
    );
  }
  const status = (quota.status ??= {});
  status.used = { ...used };
  for (const [r, v] of next) status.used[r] = formatMilli(v, r);
}
