import type { Role } from './flags.js';
import type { Secret } from './secret.js';

/** Components `--disable` accepts (upstream's list). */
export const DISABLEABLE = ['coredns', 'servicelb', 'traefik', 'local-storage', 'metrics-server', 'runtimes', 'helm-controller'] as const;
export type Disableable = (typeof DISABLEABLE)[number];

/**
 * The one typed configuration, built once by `buildConfig` and passed down. Immutable; secrets
 * are `Secret`s so the object can be logged or serialized safely.
 */
export interface Config {
  readonly role: Role;
  readonly rootless: boolean;
  /** K3S_ROOTLESS_* settings; meaningful when `rootless` is true. */
  readonly rootlessSettings: RootlessConfig;
  readonly debug: boolean;
  /** The config file asked for (--config, K3S_CONFIG_FILE or the default), whether or not it exists. */
  readonly configPath: string;
  /** Config files that were read, in order: configPath if it exists, then the drop-ins in configPath.d. */
  readonly configFiles: readonly string[];
  readonly dataDir: string;
  readonly nodeName: string;
  readonly token: Secret | undefined;
  readonly listener: ListenerConfig;
  readonly cluster: ClusterConfig;
  readonly kubeconfig: KubeconfigConfig;
  readonly datastore: DatastoreConfig;
  readonly components: ComponentsConfig;
  readonly agent: AgentConfig;
}

/** Node agent settings (kubelet and its container runtime). */
export interface AgentConfig {
  /** --node-label key=value, in order. */
  readonly nodeLabels: readonly string[];
  /** --node-taint key=value:Effect, in order. */
  readonly nodeTaints: readonly string[];
  /** --node-ip; empty means the first non-loopback IPv4 address. */
  readonly nodeIPs: readonly string[];
  /** --container-runtime-endpoint: use this CRI socket instead of starting containerd. */
  readonly containerRuntimeEndpoint: string | undefined;
  /** The private registry file (registries.yaml); read when the runtime supports it. */
  readonly privateRegistry: string | undefined;
  /** --resolv-conf / K3S_RESOLV_CONF: the host resolvers for pods with dnsPolicy Default and for cluster DNS forwarding; undefined picks as upstream. */
  readonly resolvConf: string | undefined;
  /** --server / K3S_URL: the server an agent joins (https://HOST:6443); undefined on servers. */
  readonly serverUrl: string | undefined;
  /**
   * --flannel-backend: one node's pods share the cni0 bridge whatever the backend, so vxlan and
   * host-gw both mean that; none writes no CNI config (bring your own). Agents: vxlan.
   */
  readonly flannelBackend: 'vxlan' | 'host-gw' | 'none';
  /** --flannel-iface: the interface whose IPv4 address is the node IP when --node-ip is not given. */
  readonly flannelIface: string | undefined;
}

export interface ListenerConfig {
  readonly bindAddress: string;
  readonly httpsPort: number;
  readonly tlsSans: readonly string[];
}

export interface ClusterConfig {
  readonly clusterCidrs: readonly string[];
  readonly serviceCidrs: readonly string[];
  readonly clusterDns: readonly string[];
  readonly clusterDomain: string;
  readonly nodePortRange: { readonly min: number; readonly max: number };
}

export interface KubeconfigConfig {
  readonly path: string;
  readonly mode: number;
}

export interface DatastoreConfig {
  /** Undefined means the embedded SQLite at <data-dir>/server/db/state.db. */
  readonly endpoint: Secret | undefined;
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  /** Extra TCP address for the etcd v3 face, beside the unix socket. */
  readonly etcdListenAddress: string | undefined;
}

export interface ComponentsConfig {
  readonly disabled: ReadonlySet<Disableable>;
  readonly disableAgent: boolean;
  readonly disableScheduler: boolean;
  readonly disableCloudController: boolean;
  readonly disableHelmController: boolean;
  /** --disable-network-policy: no NetworkPolicy enforcement on the nodes. */
  readonly disableNetworkPolicy: boolean;
  /** --disable-kube-proxy: no service proxy on this node. */
  readonly disableKubeProxy: boolean;
}

export interface RootlessConfig {
  readonly mtu: number;
  readonly cidr: string;
  /** 'auto': on when the node has IPv6 addresses (dual-stack). */
  readonly enableIPv6: boolean | 'auto';
  readonly portDriver: 'builtin' | 'slirp4netns';
  readonly disableHostLoopback: boolean;
  readonly copyUpDirs: readonly string[];
  /** rootlesskit's state dir: <data-dir>/rootless. */
  readonly stateDir: string;
}
