/**
 * Pod volumes on the node: each volume becomes a directory under the pod's dir
 * (<pods-dir>/<uid>/volumes/<plugin>/<name>, upstream's layout) that containers bind-mount.
 * ConfigMap and Secret contents are written atomically (a new timestamped dir, then the
 * ..data symlink swapped, as upstream's atomic writer) so updates never show half a set of
 * files. emptyDir medium Memory is a plain directory here (no tmpfs mount without privileges).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataLookup } from './env.js';
import type { ContainerSpec, KeyToPath, Pod } from './pod-types.js';
import type { Mount } from '../cri/index.js';

export class VolumeError extends Error {
  override readonly name = 'VolumeError';
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
  }
}

export function podDir(podsDir: string, uid: string): string {
  return join(podsDir, uid);
}

/** Whether the visible contents already are `files` (then nothing is rewritten). */
function unchanged(dir: string, files: ReadonlyMap<string, { data: string; mode: number }>): boolean {
  let current: string;
  try {
    current = join(dir, readlinkSync(join(dir, '..data')));
  } catch {
    return false;
  }
  const listed = (sub: string): string[] =>
    readdirSync(join(current, sub), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listed(join(sub, e.name)) : [join(sub, e.name)]));
  try {
    const present = listed('');
    if (present.length !== files.size) return false;
    for (const [path, file] of files) {
      const full = join(current, path);
      if (readFileSync(full, 'utf8') !== file.data || (statSync(full).mode & 0o777) !== file.mode) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Writes `files` (relative path -> content) as the volume's visible contents, atomically. */
function atomicWrite(dir: string, files: ReadonlyMap<string, { data: string; mode: number }>): void {
  mkdirSync(dir, { recursive: true });
  if (unchanged(dir, files)) return;
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  const staging = join(dir, stamp);
  mkdirSync(staging, { recursive: true });
  for (const [path, file] of files) {
    const target = join(staging, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.data);
    chmodSync(target, file.mode);
  }
  const dataLink = join(dir, '..data');
  let previous: string | undefined;
  try {
    previous = readlinkSync(dataLink);
  } catch {
    previous = undefined;
  }
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, dataLink);
  // Top-level entries point through ..data so one rename switches them all.
  for (const path of files.keys()) {
    const top = path.split('/')[0]!;
    const link = join(dir, top);
    if (!existsSync(link)) symlinkSync(join('..data', top), link);
  }
  if (previous && previous !== stamp) rmSync(join(dir, previous), { recursive: true, force: true });
}

function projectedFiles(data: Record<string, string>, items: KeyToPath[] | undefined, defaultMode: number, what: string, volume: string): Map<string, { data: string; mode: number }> {
  const files = new Map<string, { data: string; mode: number }>();
  if (items && items.length > 0) {
    for (const item of items) {
      const value = data[item.key];
      if (value === undefined) throw new VolumeError(volume, `configuration key "${item.key}" not found in ${what}`);
      files.set(item.path, { data: value, mode: item.mode ?? defaultMode });
    }
  } else {
    for (const [key, value] of Object.entries(data)) files.set(key, { data: value, mode: defaultMode });
  }
  return files;
}

/**
 * Sets up every volume of `pod` under its pod dir; returns volume name -> host path. Safe to
 * call again (ConfigMap/Secret contents are refreshed).
 */
/** Issues a service-account token for a projected volume: the token and its expiry (ms). */
export type TokenIssuer = (pod: Pod, audience: string | undefined, expirationSeconds: number) => Promise<{ token: string; expiresAtMs: number }>;

interface DownwardFile {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string };
  mode?: number;
}

interface ProjectedSource {
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardFile[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
}

export interface VolumeContext {
  readonly lookup: DataLookup;
  /** Renders a fieldRef/resourceFieldRef for downwardAPI files. */
  readonly field: (item: DownwardFile) => string;
  readonly token?: TokenIssuer;
}

async function projectedSourceFiles(pod: Pod, volume: string, sources: ProjectedSource[], defaultMode: number, ctx: VolumeContext): Promise<Map<string, { data: string; mode: number }>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const files = new Map<string, { data: string; mode: number }>();
  for (const source of sources) {
    if (source.configMap || source.secret) {
      const isConfigMap = !!source.configMap;
      const ref = (source.configMap ?? source.secret)!;
      const data = await ctx.lookup(isConfigMap ? 'configmap' : 'secret', namespace, ref.name);
      if (!data) {
        if (ref.optional) continue;
        throw new VolumeError(volume, `${isConfigMap ? 'configmap' : 'secret'} "${ref.name}" not found`);
      }
      for (const [k, v] of projectedFiles(data, ref.items, defaultMode, `${isConfigMap ? 'ConfigMap' : 'Secret'} ${namespace}/${ref.name}`, volume)) files.set(k, v);
    } else if (source.downwardAPI) {
      for (const item of source.downwardAPI.items ?? []) files.set(item.path, { data: ctx.field(item), mode: item.mode ?? defaultMode });
    } else if (source.serviceAccountToken) {
      if (!ctx.token) throw new VolumeError(volume, 'service account tokens cannot be issued by this agent');
      let issued: { token: string };
      try {
        issued = await ctx.token(pod, source.serviceAccountToken.audience, source.serviceAccountToken.expirationSeconds ?? 3607);
      } catch (err) {
        throw new VolumeError(volume, `failed to fetch token: ${(err as Error).message}`);
      }
      files.set(source.serviceAccountToken.path, { data: issued.token, mode: defaultMode === 0o644 ? 0o600 : defaultMode });
    }
  }
  return files;
}

export async function setUpVolumes(pod: Pod, dir: string, lookupOrContext: DataLookup | VolumeContext): Promise<Map<string, string>> {
  const ctx: VolumeContext = typeof lookupOrContext === 'function' ? { lookup: lookupOrContext, field: () => '' } : lookupOrContext;
  const lookup = ctx.lookup;
  const namespace = pod.metadata?.namespace ?? 'default';
  const paths = new Map<string, string>();
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.emptyDir) {
      const path = join(dir, 'volumes', 'kubernetes.io~empty-dir', volume.name);
      mkdirSync(path, { recursive: true, mode: 0o777 });
      chmodSync(path, 0o777);
      paths.set(volume.name, path);
    } else if (volume.configMap || volume.secret) {
      const isConfigMap = !!volume.configMap;
      const name = volume.configMap ? volume.configMap.name : volume.secret!.secretName;
      const optional = (volume.configMap ?? volume.secret)!.optional ?? false;
      const data = await lookup(isConfigMap ? 'configmap' : 'secret', namespace, name);
      if (!data && !optional) throw new VolumeError(volume.name, `${isConfigMap ? 'configmap' : 'secret'} "${name}" not found`);
      const spec = (volume.configMap ?? volume.secret)!;
      const path = join(dir, 'volumes', isConfigMap ? 'kubernetes.io~configmap' : 'kubernetes.io~secret', volume.name);
      atomicWrite(path, projectedFiles(data ?? {}, spec.items, spec.defaultMode ?? 0o644, `${isConfigMap ? 'ConfigMap' : 'Secret'} ${namespace}/${name}`, volume.name));
      paths.set(volume.name, path);
    } else if (volume['projected'] || volume['downwardAPI']) {
      const projected = volume['projected'] as { sources?: ProjectedSource[]; defaultMode?: number } | undefined;
      const downward = volume['downwardAPI'] as { items?: DownwardFile[]; defaultMode?: number } | undefined;
      const sources = projected ? (projected.sources ?? []) : [{ downwardAPI: { items: downward?.items ?? [] } }];
      const mode = (projected ?? downward)?.defaultMode ?? 0o644;
      const path = join(dir, 'volumes', projected ? 'kubernetes.io~projected' : 'kubernetes.io~downward-api', volume.name);
      atomicWrite(path, await projectedSourceFiles(pod, volume.name, sources, mode, ctx));
      paths.set(volume.name, path);
    } else if (volume.hostPath) {
      const type = volume.hostPath.type ?? '';
      if (type === 'DirectoryOrCreate' && !existsSync(volume.hostPath.path)) mkdirSync(volume.hostPath.path, { recursive: true });
      if (type === 'Directory' && !existsSync(volume.hostPath.path)) throw new VolumeError(volume.name, `hostPath type check failed: ${volume.hostPath.path} is not a directory`);
      paths.set(volume.name, volume.hostPath.path);
    } else {
      const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
      throw new VolumeError(volume.name, `volume type ${kind} is not supported by this k3s yet (supported: emptyDir, configMap, secret, projected, downwardAPI, hostPath)`);
    }
  }
  return paths;
}

/** What a pod adds to its /etc/hosts: its FQDN (hostname + subdomain, as the kubelet writes it) and spec.hostAliases. */
export interface EtcHostsExtras {
  readonly fqdn?: string;
  readonly aliases?: readonly { ip?: string; hostnames?: string[] }[];
}

export function etcHostsExtras(pod: Pod, clusterDomain: string): EtcHostsExtras {
  const spec = pod.spec as Pod['spec'] & { hostAliases?: { ip?: string; hostnames?: string[] }[] };
  const ns = pod.metadata?.namespace ?? 'default';
  const hostname = spec.hostname ?? pod.metadata?.name ?? '';
  return {
    ...(spec.subdomain ? { fqdn: `${hostname}.${spec.subdomain}.${ns}.svc.${clusterDomain}` } : {}),
    ...(spec.hostAliases?.length ? { aliases: spec.hostAliases } : {}),
  };
}

/** The /etc/hosts the kubelet manages for a pod (not for hostNetwork pods). */
export function writeEtcHosts(dir: string, podIP: string, hostname: string, extras: EtcHostsExtras = {}): string {
  const path = join(dir, 'etc-hosts');
  mkdirSync(dir, { recursive: true });
  const own = podIP ? `${podIP}\t${extras.fqdn ? `${extras.fqdn}\t` : ''}${hostname}\n` : '';
  const aliases = extras.aliases?.length
    ? `\n# Entries added by HostAliases.\n${extras.aliases.map((a) => `${a.ip ?? ''}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}`
    : '';
  writeFileSync(
    path,
    `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${own}${aliases}`,
  );
  return path;
}

/** The CRI mounts of one container: its volumeMounts, /etc/hosts and its termination log. */
export function containerMounts(container: ContainerSpec, volumes: ReadonlyMap<string, string>, dir: string, etcHosts: string | undefined): Mount[] {
  const mounts: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const base = volumes.get(vm.name);
    if (!base) throw new VolumeError(vm.name, `container ${container.name} mounts volume "${vm.name}", which the pod does not declare`);
    let hostPath = base;
    if (vm.subPath) {
      hostPath = join(base, vm.subPath);
      if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true });
    }
    mounts.push({ containerPath: vm.mountPath, hostPath, readonly: vm.readOnly ?? false });
  }
  if (etcHosts && !mounts.some((m) => m.containerPath === '/etc/hosts')) mounts.push({ containerPath: '/etc/hosts', hostPath: etcHosts, readonly: false });
  const terminationPath = container.terminationMessagePath ?? '/dev/termination-log';
  const logFile = terminationLogPath(dir, container.name);
  mkdirSync(dirname(logFile), { recursive: true });
  if (!existsSync(logFile)) writeFileSync(logFile, '', { mode: 0o666 });
  chmodSync(logFile, 0o666);
  mounts.push({ containerPath: terminationPath, hostPath: logFile, readonly: false });
  return mounts;
}

export function terminationLogPath(dir: string, containerName: string): string {
  return join(dir, 'containers', containerName, 'termination-log');
}

export function removePodDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
