/**
 * The flag table: every flag of `k3s server` and `k3s agent`, declared once.
 *
 * From this one table come the commander options, the K3S_* environment mapping, the set of
 * keys accepted in config.yaml, the "not supported yet" rejections, and docs/configuration.md
 * (scripts/gen-config-docs.mjs; a unit test keeps the doc in step). Names, short forms, env
 * vars and defaults follow upstream k3s so users' habits carry over.
 *
 * `supported: false` means the flag is known (so config files written for upstream parse) but
 * using it is an error that says so, never a silent no-op. Flip it to true in the same commit
 * that makes a component honour it.
 */

export type FlagKind = 'string' | 'bool' | 'int' | 'list';
export type Role = 'server' | 'agent';

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly kind: FlagKind;
  readonly roles: readonly Role[];
  readonly env?: string;
  /** Default when nothing sets the flag; `rootlessDefault` overrides it for --rootless. */
  readonly default?: string | number | boolean | readonly string[];
  readonly description: string;
  readonly supported: boolean;
  /** List flags whose single values may hold several comma-separated items (upstream behaviour). */
  readonly commaSeparated?: boolean;
  /** Value is a credential: never logged, never echoed in errors. */
  readonly secret?: boolean;
  /** Section in the docs. */
  readonly group: FlagGroup;
}

export type FlagGroup =
  | 'general'
  | 'logging'
  | 'listener'
  | 'cluster'
  | 'client'
  | 'datastore'
  | 'components'
  | 'agent/node'
  | 'agent/runtime'
  | 'agent/networking'
  | 'experimental';

const S: Role[] = ['server'];
const SA: Role[] = ['server', 'agent'];

export const FLAGS: readonly FlagSpec[] = [
  // general
  { name: 'config', short: 'c', kind: 'string', roles: SA, env: 'K3S_CONFIG_FILE', default: '/etc/rancher/k3s/config.yaml', description: 'Load configuration from FILE (rootless: ~/.config/k3s/config.yaml); config.yaml.d/*.yaml beside it are read too', supported: true, group: 'general' },
  { name: 'debug', kind: 'bool', roles: SA, env: 'K3S_DEBUG', default: false, description: 'Turn on debug logs', supported: true, group: 'logging' },
  { name: 'v', kind: 'int', roles: SA, default: 0, description: 'Number for the log level verbosity', supported: false, group: 'logging' },
  { name: 'vmodule', kind: 'string', roles: SA, description: 'Comma-separated list of FILE_PATTERN=LOG_LEVEL settings for file-filtered logging', supported: false, group: 'logging' },
  { name: 'log', short: 'l', kind: 'string', roles: SA, description: 'Log to file', supported: false, group: 'logging' },
  { name: 'alsologtostderr', kind: 'bool', roles: SA, default: false, description: 'Log to standard error as well as file (if set)', supported: false, group: 'logging' },
  { name: 'data-dir', short: 'd', kind: 'string', roles: SA, default: '/var/lib/rancher/k3s', description: 'Folder to hold state (rootless: ${HOME}/.rancher/k3s)', supported: true, group: 'general' },
  { name: 'rootless', kind: 'bool', roles: SA, default: false, description: 'Run rootless: the whole node inside a rootlesskit + slirp4netns user namespace (see docs/rootless.md)', supported: true, group: 'general' },

  // listener
  { name: 'bind-address', kind: 'string', roles: SA, default: '0.0.0.0', description: 'k3s bind address', supported: true, group: 'listener' },
  { name: 'advertise-address', kind: 'string', roles: S, description: 'IPv4/IPv6 address that apiserver uses to advertise to members of the cluster (default: node-external-ip/node-ip)', supported: false, group: 'listener' },
  { name: 'advertise-port', kind: 'int', roles: S, default: 0, description: 'Port that apiserver uses to advertise to members of the cluster (default: listen-port)', supported: false, group: 'listener' },
  { name: 'https-listen-port', kind: 'int', roles: S, default: 6443, description: 'HTTPS listen port', supported: true, group: 'listener' },
  { name: 'supervisor-port', kind: 'int', roles: S, default: 0, description: 'Port for the supervisor (default: the HTTPS listen port)', supported: false, group: 'listener' },
  { name: 'apiserver-port', kind: 'int', roles: S, default: 0, description: 'Port for the apiserver when separate from the supervisor', supported: false, group: 'listener' },
  { name: 'apiserver-bind-address', kind: 'string', roles: S, description: 'Bind address for the apiserver when separate from the supervisor', supported: false, group: 'listener' },
  { name: 'tls-san', kind: 'list', roles: S, default: [], commaSeparated: true, description: 'Add additional hostnames or IPv4/IPv6 addresses as Subject Alternative Names on the server TLS cert', supported: true, group: 'listener' },
  { name: 'tls-san-security', kind: 'bool', roles: S, default: true, description: 'Protect the server TLS cert by refusing to add Subject Alternative Names not associated with the kubernetes apiserver service, server nodes, or values of the tls-san option', supported: false, group: 'listener' },

  // cluster networking
  { name: 'cluster-cidr', kind: 'list', roles: S, default: ['10.42.0.0/16'], commaSeparated: true, description: 'IPv4/IPv6 network CIDRs to use for pod IPs', supported: true, group: 'cluster' },
  { name: 'service-cidr', kind: 'list', roles: S, default: ['10.43.0.0/16'], commaSeparated: true, description: 'IPv4/IPv6 network CIDRs to use for service IPs', supported: true, group: 'cluster' },
  { name: 'service-node-port-range', kind: 'string', roles: S, default: '30000-32767', description: 'Port range to reserve for services with NodePort visibility', supported: true, group: 'cluster' },
  { name: 'cluster-dns', kind: 'list', roles: S, default: [], commaSeparated: true, description: 'IPv4 Cluster IP for coredns service. Should be in your service-cidr range (default: 10.43.0.10)', supported: true, group: 'cluster' },
  { name: 'cluster-domain', kind: 'string', roles: S, default: 'cluster.local', description: 'Cluster Domain', supported: true, group: 'cluster' },
  { name: 'flannel-backend', kind: 'string', roles: S, default: 'vxlan', description: "Backend (valid values: 'none', 'vxlan', 'host-gw', 'wireguard-native')", supported: true, group: 'cluster' },
  { name: 'flannel-ipv6-masq', kind: 'bool', roles: S, default: false, description: 'Enable IPv6 masquerading for pod', supported: false, group: 'cluster' },
  { name: 'flannel-external-ip', kind: 'bool', roles: S, default: false, description: 'Use node external IP addresses for Flannel traffic', supported: false, group: 'cluster' },
  { name: 'egress-selector-mode', kind: 'string', roles: S, default: 'agent', description: 'One of agent, cluster, pod, disabled', supported: false, group: 'cluster' },
  { name: 'servicelb-namespace', kind: 'string', roles: S, default: 'kube-system', description: 'Namespace of the pods for the servicelb component', supported: false, group: 'cluster' },

  // client
  { name: 'write-kubeconfig', short: 'o', kind: 'string', roles: S, env: 'K3S_KUBECONFIG_OUTPUT', default: '/etc/rancher/k3s/k3s.yaml', description: 'Write kubeconfig for admin client to this file (rootless: ~/.kube/k3s.yaml)', supported: true, group: 'client' },
  { name: 'write-kubeconfig-mode', kind: 'string', roles: S, env: 'K3S_KUBECONFIG_MODE', default: '0600', description: 'Write kubeconfig with this mode', supported: true, group: 'client' },
  { name: 'write-kubeconfig-group', kind: 'string', roles: S, env: 'K3S_KUBECONFIG_GROUP', description: 'Write kubeconfig with this group', supported: false, group: 'client' },

  // cluster membership and tokens
  { name: 'token', short: 't', kind: 'string', roles: SA, env: 'K3S_TOKEN', secret: true, description: 'Shared secret used to join a server or agent to a cluster', supported: true, group: 'cluster' },
  { name: 'token-file', kind: 'string', roles: SA, env: 'K3S_TOKEN_FILE', description: 'File containing the token', supported: true, group: 'cluster' },
  { name: 'agent-token', kind: 'string', roles: S, env: 'K3S_AGENT_TOKEN', secret: true, description: 'Shared secret used to join agents to the cluster, but not servers', supported: false, group: 'cluster' },
  { name: 'agent-token-file', kind: 'string', roles: S, env: 'K3S_AGENT_TOKEN_FILE', description: 'File containing the agent secret', supported: false, group: 'cluster' },
  { name: 'server', short: 's', kind: 'string', roles: SA, env: 'K3S_URL', description: 'Server to connect to (agent: required; server: join an existing cluster, not supported yet)', supported: true, group: 'cluster' },
  { name: 'cluster-init', kind: 'bool', roles: S, env: 'K3S_CLUSTER_INIT', default: false, description: 'Initialize a new cluster using embedded etcd', supported: false, group: 'cluster' },
  { name: 'cluster-reset', kind: 'bool', roles: S, env: 'K3S_CLUSTER_RESET', default: false, description: 'Forget all peers and become sole member of a new cluster', supported: false, group: 'cluster' },
  { name: 'cluster-reset-restore-path', kind: 'string', roles: S, description: 'Path to snapshot file to be restored', supported: false, group: 'cluster' },

  // datastore
  { name: 'datastore-endpoint', kind: 'string', roles: S, env: 'K3S_DATASTORE_ENDPOINT', secret: true, description: 'Specify etcd, NATS, MySQL, Postgres, or SQLite (default) data source name', supported: true, group: 'datastore' },
  { name: 'datastore-cafile', kind: 'string', roles: S, env: 'K3S_DATASTORE_CAFILE', description: 'TLS Certificate Authority file used to secure datastore backend communication', supported: true, group: 'datastore' },
  { name: 'datastore-certfile', kind: 'string', roles: S, env: 'K3S_DATASTORE_CERTFILE', description: 'TLS certification file used to secure datastore backend communication', supported: true, group: 'datastore' },
  { name: 'datastore-keyfile', kind: 'string', roles: S, env: 'K3S_DATASTORE_KEYFILE', description: 'TLS key file used to secure datastore backend communication', supported: true, group: 'datastore' },
  { name: 'etcd-listen-address', kind: 'string', roles: S, env: 'K3S_ETCD_LISTEN_ADDRESS', description: 'Also serve the etcd v3 gRPC face of the datastore on this TCP address (host:port); it is always served on unix://<data-dir>/server/kine.sock', supported: true, group: 'datastore' },
  { name: 'etcd-expose-metrics', kind: 'bool', roles: S, default: false, description: 'Expose etcd metrics to client interface', supported: false, group: 'datastore' },
  { name: 'etcd-disable-snapshots', kind: 'bool', roles: S, default: false, description: 'Disable automatic etcd snapshots', supported: false, group: 'datastore' },
  { name: 'etcd-snapshot-schedule-cron', kind: 'string', roles: S, default: '0 */12 * * *', description: 'Snapshot interval time in cron spec', supported: false, group: 'datastore' },
  { name: 'etcd-snapshot-retention', kind: 'int', roles: S, default: 5, description: 'Number of snapshots to retain', supported: false, group: 'datastore' },
  { name: 'etcd-snapshot-dir', kind: 'string', roles: S, description: 'Directory to save db snapshots', supported: false, group: 'datastore' },

  // components
  { name: 'disable', kind: 'list', roles: S, default: [], commaSeparated: true, description: 'Do not deploy packaged components and delete any deployed components (valid items: coredns, servicelb, traefik, local-storage, metrics-server, runtimes)', supported: true, group: 'components' },
  { name: 'disable-scheduler', kind: 'bool', roles: S, default: false, description: 'Disable Kubernetes default scheduler', supported: true, group: 'components' },
  { name: 'disable-cloud-controller', kind: 'bool', roles: S, default: false, description: 'Disable k3s default cloud controller manager', supported: true, group: 'components' },
  { name: 'disable-kube-proxy', kind: 'bool', roles: S, default: false, description: 'Disable running kube-proxy', supported: true, group: 'components' },
  { name: 'disable-network-policy', kind: 'bool', roles: S, default: false, description: 'Disable k3s default network policy controller', supported: true, group: 'components' },
  { name: 'disable-helm-controller', kind: 'bool', roles: S, default: false, description: 'Disable Helm controller', supported: true, group: 'components' },
  { name: 'disable-agent', kind: 'bool', roles: S, default: false, description: 'Do not run a local agent and register a local kubelet', supported: true, group: 'components' },
  { name: 'disable-apiserver', kind: 'bool', roles: S, default: false, description: 'Disable running api server', supported: false, group: 'components' },
  { name: 'disable-controller-manager', kind: 'bool', roles: S, default: false, description: 'Disable running kube-controller-manager', supported: false, group: 'components' },
  { name: 'disable-etcd', kind: 'bool', roles: S, default: false, description: 'Disable running etcd', supported: false, group: 'components' },
  { name: 'default-local-storage-path', kind: 'string', roles: S, description: 'Default local storage path for local provisioner storage class', supported: false, group: 'components' },
  { name: 'kube-apiserver-arg', kind: 'list', roles: S, default: [], description: 'Customized flag for kube-apiserver process', supported: false, group: 'components' },
  { name: 'kube-scheduler-arg', kind: 'list', roles: S, default: [], description: 'Customized flag for kube-scheduler process', supported: false, group: 'components' },
  { name: 'kube-controller-manager-arg', kind: 'list', roles: S, default: [], description: 'Customized flag for kube-controller-manager process', supported: false, group: 'components' },
  { name: 'etcd-arg', kind: 'list', roles: S, default: [], description: 'Customized flag for etcd process', supported: false, group: 'components' },
  { name: 'secrets-encryption', kind: 'bool', roles: S, default: false, description: 'Enable secret encryption at rest', supported: false, group: 'experimental' },
  { name: 'enable-pprof', kind: 'bool', roles: SA, default: false, description: 'Enable pprof endpoint on supervisor port', supported: false, group: 'experimental' },

  // agent/node
  { name: 'node-name', kind: 'string', roles: SA, env: 'K3S_NODE_NAME', description: 'Node name (default: the hostname)', supported: true, group: 'agent/node' },
  { name: 'with-node-id', kind: 'bool', roles: SA, default: false, description: 'Append id to node name', supported: false, group: 'agent/node' },
  { name: 'node-label', kind: 'list', roles: SA, default: [], description: 'Registering and starting kubelet with set of labels', supported: true, group: 'agent/node' },
  { name: 'node-taint', kind: 'list', roles: SA, default: [], description: 'Registering kubelet with set of taints', supported: true, group: 'agent/node' },
  { name: 'image-credential-provider-bin-dir', kind: 'string', roles: SA, description: 'The path to the directory where credential provider plugin binaries are located', supported: false, group: 'agent/node' },
  { name: 'image-credential-provider-config', kind: 'string', roles: SA, description: 'The path to the credential provider plugin config file', supported: false, group: 'agent/node' },
  { name: 'selinux', kind: 'bool', roles: SA, env: 'K3S_SELINUX', default: false, description: 'Enable SELinux in containerd', supported: false, group: 'agent/node' },
  { name: 'lb-server-port', kind: 'int', roles: SA, env: 'K3S_LB_SERVER_PORT', default: 6444, description: 'Local port for supervisor client load-balancer', supported: false, group: 'agent/node' },
  { name: 'protect-kernel-defaults', kind: 'bool', roles: SA, default: false, description: 'Kernel tuning behavior. If set, error if kernel tunables are different than kubelet defaults', supported: false, group: 'agent/node' },
  { name: 'kubelet-arg', kind: 'list', roles: SA, default: [], description: 'Customized flag for kubelet process', supported: false, group: 'agent/node' },

  // agent/runtime
  { name: 'container-runtime-endpoint', kind: 'string', roles: SA, description: 'Disable embedded containerd and use the CRI socket at the given path', supported: true, group: 'agent/runtime' },
  { name: 'default-runtime', kind: 'string', roles: SA, description: 'Set the default runtime in containerd', supported: false, group: 'agent/runtime' },
  { name: 'pause-image', kind: 'string', roles: SA, default: 'rancher/mirrored-pause:3.6', description: 'Customized pause image for containerd or docker sandbox', supported: false, group: 'agent/runtime' },
  { name: 'snapshotter', kind: 'string', roles: SA, default: 'overlayfs', description: 'Override default containerd snapshotter', supported: false, group: 'agent/runtime' },
  { name: 'private-registry', kind: 'string', roles: SA, default: '/etc/rancher/k3s/registries.yaml', description: 'Private registry configuration file (rootless: ~/.config/k3s/registries.yaml)', supported: true, group: 'agent/runtime' },
  { name: 'system-default-registry', kind: 'string', roles: S, description: 'Private registry to be used for all system images', supported: false, group: 'agent/runtime' },
  { name: 'docker', kind: 'bool', roles: SA, default: false, description: '(deprecated upstream) Use cri-dockerd instead of containerd', supported: false, group: 'agent/runtime' },

  // agent/networking
  { name: 'node-ip', short: 'i', kind: 'list', roles: SA, default: [], commaSeparated: true, description: 'IPv4/IPv6 addresses to advertise for node', supported: true, group: 'agent/networking' },
  { name: 'node-external-ip', kind: 'list', roles: SA, default: [], commaSeparated: true, description: 'IPv4/IPv6 external IP addresses to advertise for node', supported: false, group: 'agent/networking' },
  { name: 'resolv-conf', kind: 'string', roles: SA, env: 'K3S_RESOLV_CONF', description: 'Kubelet resolv.conf file', supported: true, group: 'agent/networking' },
  { name: 'flannel-iface', kind: 'string', roles: SA, description: 'Override default flannel interface', supported: true, group: 'agent/networking' },
  { name: 'flannel-conf', kind: 'string', roles: SA, description: 'Override default flannel config file', supported: false, group: 'agent/networking' },
  { name: 'kube-proxy-arg', kind: 'list', roles: SA, default: [], description: 'Customized flag for kube-proxy process', supported: false, group: 'agent/networking' },
];

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

export function flagSpec(name: string): FlagSpec | undefined {
  return BY_NAME.get(name);
}

export function flagsFor(role: Role): FlagSpec[] {
  return FLAGS.filter((f) => f.roles.includes(role));
}
