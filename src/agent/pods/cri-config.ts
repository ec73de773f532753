/**
 * Pod spec -> CRI configs: the sandbox (metadata, hostname, DNS, host ports, namespaces, log
 * dir) and each container (image, command, env, mounts, security context, log path).
 * Deterministic for a pod, since CreateContainer is handed the sandbox config again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig, PodSandboxConfig, PortMapping } from '../cri/index.js';
import { CONTAINER_KIND, CONTAINER_NAME, MANAGED_BY, POD_NAME, POD_NAMESPACE, POD_UID, RESTART_COUNT } from './labels.js';
import type { ContainerSpec, Pod } from './pod-types.js';

export interface SandboxSettings {
  readonly clusterDns: readonly string[];
  readonly clusterDomain: string;
  /** Where container logs go: <logs-dir>/<ns>_<name>_<uid>/<container>/<n>.log */
  readonly podLogsDir: string;
  readonly resolvConf: string;
}

export function podLogDirectory(settings: SandboxSettings, pod: Pod): string {
  const m = pod.metadata ?? {};
  return join(settings.podLogsDir, `${m.namespace}_${m.name}_${m.uid}`);
}

function hostResolv(path: string): { servers: string[]; searches: string[]; options: string[] } {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = '';
  }
  const servers: string[] = [];
  const searches: string[] = [];
  const options: string[] = [];
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if (key === 'search') searches.push(...rest);
    else if (key === 'options') options.push(...rest);
  }
  return { servers, searches, options };
}

function dnsConfig(pod: Pod, s: SandboxSettings): NonNullable<PodSandboxConfig['dnsConfig']> {
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  const ns = pod.metadata?.namespace ?? 'default';
  const custom = pod.spec.dnsConfig;
  let base: { servers: string[]; searches: string[]; options: string[] };
  const clusterFirst = (policy === 'ClusterFirst' && !pod.spec.hostNetwork) || policy === 'ClusterFirstWithHostNet';
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (clusterFirst && s.clusterDns.length > 0) {
    const d = s.clusterDomain;
    base = { servers: [...s.clusterDns], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...hostResolv(s.resolvConf).searches], options: ['ndots:5'] };
  } else base = hostResolv(s.resolvConf);
  if (custom) {
    base.servers.push(...(custom.nameservers ?? []));
    base.searches.push(...(custom.searches ?? []));
    for (const o of custom.options ?? []) base.options.push(o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  }
  return { servers: unique(base.servers), searches: limitSearches(unique(base.searches)), options: mergeOptions(base.options) };
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** As the kubelet: at most 32 search domains and 2048 characters, the rest dropped. */
function limitSearches(searches: string[]): string[] {
  const out: string[] = [];
  let length = 0;
  for (const s of searches.slice(0, 32)) {
    length += s.length + (out.length > 0 ? 1 : 0);
    if (length > 2048) break;
    out.push(s);
  }
  return out;
}

/** A later option of the same name wins (dnsConfig "ndots:2" replaces ClusterFirst's "ndots:5"). */
function mergeOptions(options: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of options) {
    const name = o.split(':')[0]!;
    byName.delete(name);
    byName.set(name, o);
  }
  return [...byName.values()];
}

function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' });
    }
  }
  return out;
}

export function podLabels(pod: Pod): Record<string, string> {
  const m = pod.metadata ?? {};
  return { ...(m.labels ?? {}), [POD_NAME]: m.name ?? '', [POD_NAMESPACE]: m.namespace ?? '', [POD_UID]: m.uid ?? '', [MANAGED_BY]: 'true' };
}

export function sandboxConfig(pod: Pod, s: SandboxSettings, attempt: number): PodSandboxConfig {
  const m = pod.metadata ?? {};
  const sc = pod.spec.securityContext;
  const hostname = (pod.spec.hostname ?? m.name ?? '').slice(0, 63);
  return {
    metadata: { name: m.name ?? '', uid: m.uid ?? '', namespace: m.namespace ?? '', attempt },
    hostname: pod.spec.hostNetwork ? '' : hostname,
    logDirectory: podLogDirectory(s, pod),
    dnsConfig: dnsConfig(pod, s),
    portMappings: portMappings(pod),
    labels: podLabels(pod),
    annotations: { ...(m.annotations ?? {}) },
    linux: {
      cgroupParent: '',
      securityContext: {
        namespaceOptions: { network: pod.spec.hostNetwork ? 'NODE' : 'POD', pid: pod.spec.hostPID ? 'NODE' : 'CONTAINER', ipc: pod.spec.hostIPC ? 'NODE' : 'POD' },
        ...(sc?.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc?.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        supplementalGroups: [...(sc?.supplementalGroups ?? []), ...(sc?.fsGroup !== undefined ? [sc.fsGroup] : [])],
        privileged: [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].some((c) => c.securityContext?.privileged === true),
      },
      sysctls: Object.fromEntries((sc?.sysctls ?? []).map((x) => [x.name, x.value])),
    },
  };
}

export interface ContainerInputs {
  readonly envs: { key: string; value: string }[];
  readonly mounts: ContainerConfig['mounts'];
  readonly restartCount: number;
  readonly init: boolean;
  readonly image: string;
}

export function containerConfig(pod: Pod, c: ContainerSpec, inputs: ContainerInputs): ContainerConfig {
  const m = pod.metadata ?? {};
  const sc = { ...pod.spec.securityContext, ...c.securityContext };
  const vars = new Map(inputs.envs.map((e) => [e.key, e.value]));
  const expandAll = (list: string[] | undefined): string[] => (list ?? []).map((s) => s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => (match === '$$' ? '$' : name !== undefined && vars.has(name) ? vars.get(name)! : match)));
  return {
    metadata: { name: c.name, attempt: inputs.restartCount },
    image: { image: inputs.image },
    command: expandAll(c.command),
    args: expandAll(c.args),
    workingDir: c.workingDir ?? '',
    envs: inputs.envs,
    mounts: inputs.mounts,
    labels: { [POD_NAME]: m.name ?? '', [POD_NAMESPACE]: m.namespace ?? '', [POD_UID]: m.uid ?? '', [CONTAINER_NAME]: c.name, [MANAGED_BY]: 'true' },
    annotations: { [RESTART_COUNT]: String(inputs.restartCount), ...(inputs.init ? { [CONTAINER_KIND]: 'init' } : {}) },
    logPath: join(c.name, `${inputs.restartCount}.log`),
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: {
      securityContext: {
        ...(c.securityContext?.capabilities ? { capabilities: { addCapabilities: c.securityContext.capabilities.add ?? [], dropCapabilities: c.securityContext.capabilities.drop ?? [] } } : {}),
        privileged: sc.privileged ?? false,
        namespaceOptions: { network: pod.spec.hostNetwork ? 'NODE' : 'POD', pid: pod.spec.hostPID ? 'NODE' : 'CONTAINER', ipc: pod.spec.hostIPC ? 'NODE' : 'POD' },
        ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        readonlyRootfs: sc.readOnlyRootFilesystem ?? false,
        noNewPrivs: sc.allowPrivilegeEscalation === false,
      },
    },
  };
}
