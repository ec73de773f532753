/**
 * Builds the one Config from the raw sources: one small function per section, each validating
 * its values and naming the flag and where it was set when something is wrong.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { flagSpec, type FlagSpec, type Role } from './flags.js';
import { ipv4HostBitsZero, ipv4InCidr, ipv4Nth, parseCidr } from './net.js';
import { resolveValues, type ResolvedValues } from './resolve.js';
import { rootlessConfig } from './rootless.js';
import { Secret } from './secret.js';
import { configFilesFor, readConfigFiles, readEnvironment, type RawSettings, type RawValue } from './sources.js';
import {
  DISABLEABLE,
  type AgentConfig,
  type ClusterConfig,
  type ComponentsConfig,
  type Config,
  type DatastoreConfig,
  type Disableable,
  type KubeconfigConfig,
  type ListenerConfig,
} from './types.js';

export interface BuildInput {
  readonly role: Role;
  /** Flags the user gave on the command line (only those explicitly set). */
  readonly cli: RawSettings;
  readonly env: NodeJS.ProcessEnv;
  readonly uid: number;
  readonly home: string;
  readonly hostname: string;
}

/** Paths that differ between root and a user (rootless, or plain non-root) install. */
export function userDefaults(home: string): Record<string, RawValue> {
  return {
    config: join(home, '.config/k3s/config.yaml'),
    'data-dir': join(home, '.rancher/k3s'),
    'write-kubeconfig': join(home, '.kube/k3s.yaml'),
    'private-registry': join(home, '.config/k3s/registries.yaml'),
  };
}

export function buildConfig(input: BuildInput): Config {
  const cliRootless = input.cli.get('rootless')?.value === true;
  const asUser = input.uid !== 0 || cliRootless;
  const perUser = asUser ? userDefaults(input.home) : {};
  const defaults = (spec: FlagSpec): RawValue | undefined => {
    const d = perUser[spec.name] ?? spec.default;
    return Array.isArray(d) ? [...(d as string[])] : (d as RawValue | undefined);
  };

  const configPathSetting = input.cli.get('config') ?? readEnvironment(input.env, input.role).get('config');
  const configPath = configPathSetting ? String(configPathSetting.value) : String(defaults(flagSpec('config')!));
  const files = configFilesFor(configPath);
  if (configPathSetting && files.length === 0) {
    throw new ConfigError(`config file ${configPath} (set by ${configPathSetting.origin}) does not exist`);
  }
  const values = resolveValues(
    input.role,
    { files: readConfigFiles(files, input.role), env: readEnvironment(input.env, input.role), cli: input.cli },
    defaults,
  );
  const v = new Values(values);
  const rootless = v.bool('rootless');
  if (rootless && input.uid === 0) {
    throw new ConfigError('--rootless cannot run as root: run k3s server --rootless as the unprivileged user who should own the cluster');
  }
  const dataDir = v.path('data-dir', input.home);
  return {
    role: input.role,
    rootless,
    // K3S_ROOTLESS_* are only read (and validated) when running rootless.
    rootlessSettings: rootlessConfig(rootless ? input.env : {}, dataDir),
    debug: v.bool('debug'),
    configPath,
    configFiles: files,
    dataDir,
    nodeName: nodeName(v, input.hostname),
    token: token(v),
    listener: listener(v, input.role),
    cluster: cluster(v, input.role),
    kubeconfig: kubeconfig(v, input.role, input.home),
    datastore: datastore(v, input.role),
    components: components(v, input.role),
    agent: agent(v, input.role),
  };
}

/** Typed access to resolved values; errors name the flag and where it was set. */
class Values {
  constructor(private readonly values: ResolvedValues) {}
  origin(name: string): string {
    return this.values.get(name)?.origin ?? 'default';
  }
  fail(name: string, problem: string): never {
    throw new ConfigError(`--${name} (${this.origin(name)}): ${problem}`);
  }
  raw(name: string): RawValue | undefined {
    return this.values.get(name)?.value;
  }
  bool(name: string): boolean {
    return this.raw(name) === true;
  }
  int(name: string): number {
    const value = this.raw(name);
    return typeof value === 'number' ? value : 0;
  }
  string(name: string): string | undefined {
    const value = this.raw(name);
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
  list(name: string): string[] {
    const value = this.raw(name);
    if (!Array.isArray(value)) return [];
    const spec = flagSpec(name);
    return spec?.commaSeparated ? value.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean) : value;
  }
  /** A path flag with ~ expanded. */
  path(name: string, home: string): string {
    const value = this.string(name) ?? this.fail(name, 'must not be empty');
    return value === '~' || value.startsWith('~/') ? join(home, value.slice(1)) : value;
  }
  port(name: string): number {
    const port = this.int(name);
    if (port < 1 || port > 65535) this.fail(name, `${port} is not a TCP port (1-65535)`);
    return port;
  }
}

function nodeName(v: Values, hostname: string): string {
  const name = (v.string('node-name') ?? hostname).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name) || name.length > 253) {
    v.fail('node-name', `"${name}" is not a valid node name (lowercase letters, digits, '-' and '.', at most 253 characters); set --node-name`);
  }
  return name;
}

function token(v: Values): Secret | undefined {
  const direct = v.string('token');
  const file = v.string('token-file');
  if (direct && file) v.fail('token-file', 'give either --token or --token-file, not both');
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (err) {
      return v.fail('token-file', `cannot read ${file}: ${(err as Error).message}`);
    }
    if (!text) v.fail('token-file', `${file} is empty`);
    return new Secret(text);
  }
  return direct ? new Secret(direct) : undefined;
}

function listener(v: Values, role: Role): ListenerConfig {
  const bindAddress = v.string('bind-address') ?? '0.0.0.0';
  if (isIP(bindAddress) === 0) v.fail('bind-address', `"${bindAddress}" is not an IP address`);
  if (role === 'agent') return { bindAddress, httpsPort: 6443, tlsSans: [] };
  return { bindAddress, httpsPort: v.port('https-listen-port'), tlsSans: v.list('tls-san') };
}

function cidrs(v: Values, name: string): string[] {
  const list = v.list(name);
  if (list.length === 0) v.fail(name, 'needs at least one CIDR');
  if (list.length > 2) v.fail(name, 'takes at most two CIDRs (one IPv4, one IPv6)');
  const parsed = list.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) v.fail(name, `"${text}" is not a CIDR such as 10.42.0.0/16`);
    if (!ipv4HostBitsZero(cidr)) v.fail(name, `"${text}" has host bits set; use the network address`);
    return cidr;
  });
  if (parsed.length === 2 && parsed[0]!.family === parsed[1]!.family) v.fail(name, 'two CIDRs must be one IPv4 and one IPv6');
  return list;
}

function cluster(v: Values, role: Role): ClusterConfig {
  if (role === 'agent') {
    return { clusterCidrs: [], serviceCidrs: [], clusterDns: [], clusterDomain: 'cluster.local', nodePortRange: { min: 30000, max: 32767 } };
  }
  const clusterCidrs = cidrs(v, 'cluster-cidr');
  const serviceCidrs = cidrs(v, 'service-cidr');
  const primaryService = parseCidr(serviceCidrs[0]!)!;
  let clusterDns = v.list('cluster-dns');
  if (clusterDns.length === 0) {
    if (primaryService.family !== 4) v.fail('cluster-dns', 'must be given when the first --service-cidr is IPv6');
    clusterDns = [ipv4Nth(primaryService, 10)];
  }
  for (const ip of clusterDns) {
    if (isIP(ip) === 0) v.fail('cluster-dns', `"${ip}" is not an IP address`);
    if (isIP(ip) === 4 && primaryService.family === 4 && !ipv4InCidr(ip, primaryService)) {
      v.fail('cluster-dns', `${ip} is outside the service CIDR ${serviceCidrs[0]}`);
    }
  }
  const domain = v.string('cluster-domain') ?? 'cluster.local';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(domain)) {
    v.fail('cluster-domain', `"${domain}" is not a DNS domain`);
  }
  const range = /^(\d+)-(\d+)$/.exec(v.string('service-node-port-range') ?? '');
  const min = Number(range?.[1]);
  const max = Number(range?.[2]);
  if (!range || min < 1 || max > 65535 || min > max) {
    v.fail('service-node-port-range', 'expected a range such as 30000-32767');
  }
  return { clusterCidrs, serviceCidrs, clusterDns, clusterDomain: domain, nodePortRange: { min, max } };
}

function kubeconfig(v: Values, role: Role, home: string): KubeconfigConfig {
  if (role === 'agent') return { path: '', mode: 0o600 };
  const modeText = v.string('write-kubeconfig-mode') ?? '0600';
  if (!/^0?[0-7]{3}$/.test(modeText)) v.fail('write-kubeconfig-mode', `"${modeText}" is not an octal file mode such as 0644`);
  return { path: v.path('write-kubeconfig', home), mode: parseInt(modeText, 8) };
}

function datastore(v: Values, role: Role): DatastoreConfig {
  const endpoint = role === 'server' ? v.string('datastore-endpoint') : undefined;
  const listen = v.string('etcd-listen-address');
  if (listen !== undefined && !/^(\[[0-9a-fA-F:]+\]|[^:]+):\d{1,5}$/.test(listen)) {
    v.fail('etcd-listen-address', `"${listen}" is not host:port`);
  }
  return {
    endpoint: endpoint ? new Secret(endpoint) : undefined,
    caFile: v.string('datastore-cafile'),
    certFile: v.string('datastore-certfile'),
    keyFile: v.string('datastore-keyfile'),
    etcdListenAddress: listen,
  };
}

function agent(v: Values, role: Role): AgentConfig {
  const nodeIPs = v.list('node-ip');
  for (const ip of nodeIPs) if (isIP(ip) === 0) v.fail('node-ip', `"${ip}" is not an IP address`);
  for (const label of v.list('node-label')) if (!/^[^=]+=.*$/.test(label)) v.fail('node-label', `"${label}" is not key=value`);
  for (const taint of v.list('node-taint')) {
    if (!/^[^=:]+(=[^:]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/.test(taint)) v.fail('node-taint', `"${taint}" is not key=value:Effect (Effect: NoSchedule, PreferNoSchedule or NoExecute)`);
  }
  const endpoint = v.string('container-runtime-endpoint');
  return {
    nodeLabels: v.list('node-label'),
    nodeTaints: v.list('node-taint'),
    nodeIPs,
    containerRuntimeEndpoint: endpoint?.replace(/^unix:\/\//, ''),
    privateRegistry: v.string('private-registry'),
    resolvConf: v.string('resolv-conf'),
    serverUrl: serverUrl(v, role),
    flannelBackend: role === 'server' ? flannelBackend(v) : 'vxlan',
    flannelIface: v.string('flannel-iface'),
  };
}

function flannelBackend(v: Values): AgentConfig['flannelBackend'] {
  const backend = v.string('flannel-backend') ?? 'vxlan';
  if (backend === 'vxlan' || backend === 'host-gw' || backend === 'none') return backend;
  if (backend === 'wireguard-native') {
    return v.fail('flannel-backend', 'wireguard-native encrypts a multi-node overlay, and multi-node overlay networks are not available in this k3s yet: use vxlan (the default) or host-gw, which on one node both mean the cni0 bridge, or none to install your own CNI');
  }
  return v.fail('flannel-backend', `unknown backend "${backend}" (valid: vxlan, host-gw, none; wireguard-native is not available yet)`);
}

function serverUrl(v: Values, role: Role): string | undefined {
  const text = v.string('server');
  if (text === undefined) return undefined;
  if (role === 'server') v.fail('server', 'joining a server to an existing cluster is not supported yet by this k3s; only agents join (k3s agent --server)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return v.fail('server', `"${text}" is not a URL such as https://10.0.0.1:6443`);
  }
  if (url.protocol !== 'https:') v.fail('server', `"${text}" must be an https:// URL (the server's supervisor and API port, usually 6443)`);
  return url.origin;
}

function components(v: Values, role: Role): ComponentsConfig {
  const disabled = new Set<Disableable>();
  if (role === 'server') {
    for (const item of v.list('disable')) {
      if (!(DISABLEABLE as readonly string[]).includes(item)) {
        v.fail('disable', `unknown component "${item}" (valid: ${DISABLEABLE.join(', ')})`);
      }
      disabled.add(item as Disableable);
    }
  }
  return {
    disabled,
    disableAgent: v.bool('disable-agent'),
    disableScheduler: v.bool('disable-scheduler'),
    disableCloudController: v.bool('disable-cloud-controller'),
    disableHelmController: v.bool('disable-helm-controller'),
    disableNetworkPolicy: v.bool('disable-network-policy'),
    disableKubeProxy: v.bool('disable-kube-proxy'),
  };
}
