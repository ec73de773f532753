/**
 * Static pod manifests as the kubelet reads them from its pod-manifest-path (k3s:
 * <data-dir>/agent/pod-manifests): one Pod per file (YAML or JSON, hidden files skipped), named
 * <name>-<node>, namespace "default" when none is given, bound to this node, with a UID that
 * is a hash of the manifest, the node and the file (so an edit makes a new pod) and upstream's
 * config annotations.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Pod } from '../pods/pod-types.js';

export const CONFIG_HASH = 'kubernetes.io/config.hash';
export const CONFIG_MIRROR = 'kubernetes.io/config.mirror';
export const CONFIG_SOURCE = 'kubernetes.io/config.source';
export const CONFIG_SEEN = 'kubernetes.io/config.seen';

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/** JSON with object keys sorted, so the hash does not depend on key order in the file. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

export function staticPodFromManifest(text: string, file: string, nodeName: string, seen = new Date()): Pod {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ManifestError(`${file}: not valid YAML or JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ManifestError(`${file}: expected one Pod object`);
  const object = doc as Record<string, unknown>;
  if (object['kind'] !== 'Pod' || object['apiVersion'] !== 'v1') throw new ManifestError(`${file}: expected apiVersion v1 and kind Pod, got ${String(object['apiVersion'])} ${String(object['kind'])} (one Pod per file)`);
  const meta = (object['metadata'] ?? {}) as Record<string, unknown> & { name?: string; namespace?: string; annotations?: Record<string, string> };
  const spec = object['spec'] as Pod['spec'] | undefined;
  if (!meta.name) throw new ManifestError(`${file}: metadata.name is required`);
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) throw new ManifestError(`${file}: spec.containers must list at least one container`);
  const hash = createHash('md5').update(canonical(object)).update(`host:${nodeName}`).update(`file:${file}`).digest('hex');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta,
      name: `${meta.name}-${nodeName}`,
      namespace: meta.namespace || 'default',
      uid: hash,
      annotations: { ...(meta.annotations ?? {}), [CONFIG_HASH]: hash, [CONFIG_SEEN]: seen.toISOString(), [CONFIG_SOURCE]: 'file' },
    },
    spec: { ...spec, nodeName, restartPolicy: spec.restartPolicy ?? 'Always', terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30 },
  } as Pod;
}

export interface ManifestScan {
  /** Keyed "namespace/name". */
  readonly pods: Map<string, Pod>;
  /** One message per file that could not be used. */
  readonly problems: Map<string, string>;
}

/** Reads every manifest in `dir` (missing dir: none). `previous` keeps config.seen stable for unchanged files. */
export function scanManifests(dir: string, nodeName: string, previous?: ReadonlyMap<string, Pod>): ManifestScan {
  const pods = new Map<string, Pod>();
  const problems = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return { pods, problems };
  }
  const seenByUid = new Map([...(previous?.values() ?? [])].map((p) => [p.metadata?.uid, p.metadata?.annotations?.[CONFIG_SEEN]]));
  for (const name of names) {
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      let pod = staticPodFromManifest(readFileSync(file, 'utf8'), file, nodeName);
      const seen = seenByUid.get(pod.metadata?.uid);
      if (seen) pod = { ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [CONFIG_SEEN]: seen } } };
      const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      if (pods.has(key)) {
        problems.set(file, `${file}: pod ${key} is already defined by another manifest; ignored`);
        continue;
      }
      pods.set(key, pod);
    } catch (err) {
      problems.set(file, (err as Error).message);
    }
  }
  return { pods, problems };
}
