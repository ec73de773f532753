/**
 * A container's environment as the kubelet builds it: envFrom sources first, then env entries
 * in order (valueFrom fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef), with $(VAR)
 * references to earlier variables expanded and $$ as a literal $. A missing ConfigMap/Secret
 * or key that is not optional is a CreateContainerConfigError, as upstream.
 */
import type { KubeObject } from '../../api/types.js';
import type { ContainerSpec, Pod } from './pod-types.js';

export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

/** Looks up a ConfigMap's or Secret's data (Secret values already base64-decoded); undefined if missing. */
export type DataLookup = (kind: 'configmap' | 'secret', namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export function objectData(kind: 'configmap' | 'secret', object: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (object['data'] ?? {}) as Record<string, string>;
  if (kind === 'secret') {
    for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, 'base64').toString('utf8');
    for (const [k, v] of Object.entries((object['stringData'] ?? {}) as Record<string, string>)) out[k] = v;
  } else {
    Object.assign(out, data);
    for (const [k, v] of Object.entries((object['binaryData'] ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return out;
}

/** Expands $(NAME) from `vars`; unknown references stay as written; $$ escapes. */
export function expand(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : match;
  });
}

export function fieldValue(pod: Pod, path: string, hostIP: string, podIP: string): string {
  const meta = pod.metadata ?? {};
  const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annotation) return meta.annotations?.[annotation[1]!] ?? '';
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return meta.labels?.[label[1]!] ?? '';
  // Whole maps, as downwardAPI volume files render them: key="value" lines, sorted.
  if (path === 'metadata.labels' || path === 'metadata.annotations') {
    const map = (path === 'metadata.labels' ? meta.labels : meta.annotations) ?? {};
    return Object.keys(map).sort().map((k) => `${k}=${JSON.stringify(map[k])}`).join('\n');
  }
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIP;
    case 'status.hostIPs':
      return hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return podIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath "${path}"`);
  }
}

/** CPU in cores rounded up, memory in bytes (divisor 1), as resourceFieldRef reports them. */
export function resourceValue(container: ContainerSpec | undefined, resource: string, machine: { cpus: number; memoryBytes: number }): string {
  const [kind, name] = resource.split('.') as [string, string];
  const value = (kind === 'limits' ? container?.resources?.limits : container?.resources?.requests)?.[name];
  if (name === 'cpu') {
    if (!value) return kind === 'limits' ? String(machine.cpus) : '0';
    const cores = value.endsWith('m') ? Number(value.slice(0, -1)) / 1000 : Number(value);
    return String(Math.ceil(cores));
  }
  if (name === 'memory' || name === 'ephemeral-storage') {
    if (!value) return kind === 'limits' ? String(machine.memoryBytes) : '0';
    return String(quantityBytes(value));
  }
  throw new ContainerConfigError(`unsupported resourceFieldRef resource "${resource}"`);
}

function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return 0;
  const mult: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Math.round(Number(m[1]) * (m[2] ? mult[m[2]]! : 1));
}

export interface EnvContext {
  readonly pod: Pod;
  readonly hostIP: string;
  readonly podIP: string;
  readonly lookup: DataLookup;
  readonly machine: { cpus: number; memoryBytes: number };
}

export async function containerEnv(container: ContainerSpec, ctx: EnvContext): Promise<{ key: string; value: string }[]> {
  const namespace = ctx.pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const kind = source.configMapRef ? 'configmap' : 'secret';
    const data = await ctx.lookup(kind, namespace, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) vars.set(`${source.prefix ?? ''}${k}`, v);
  }
  for (const env of container.env ?? []) {
    let value: string;
    const from = env.valueFrom;
    if (!from) value = expand(env.value ?? '', vars);
    else if (from.fieldRef) value = fieldValue(ctx.pod, from.fieldRef.fieldPath, ctx.hostIP, ctx.podIP);
    else if (from.resourceFieldRef) {
      const target = from.resourceFieldRef.containerName ? [...ctx.pod.spec.containers, ...(ctx.pod.spec.initContainers ?? [])].find((c) => c.name === from.resourceFieldRef!.containerName) : container;
      value = resourceValue(target, from.resourceFieldRef.resource, ctx.machine);
    } else {
      const ref = from.configMapKeyRef ?? from.secretKeyRef!;
      const kind = from.configMapKeyRef ? 'configmap' : 'secret';
      const data = await ctx.lookup(kind, namespace, ref.name);
      const found = data?.[ref.key];
      if (found === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(data ? `couldn't find key ${ref.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${namespace}/${ref.name}` : `${kind} "${ref.name}" not found`);
      }
      value = found;
    }
    vars.set(env.name, value);
  }
  return [...vars].map(([key, value]) => ({ key, value }));
}
