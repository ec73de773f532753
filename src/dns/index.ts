/** Cluster DNS inside the k3s process: the cluster zone, custom hosts entries, forwarding to the host's resolvers. */
export { ClusterDns, type ClusterDnsOptions } from './cluster-dns.js';
export { ClusterZone, reverseName, type EndpointSlice, type Service } from './records.js';
export { HostsTable, parseHosts } from './hosts.js';
export { Forwarder, parseResolvConf, pickResolvConf, type ResolvConf } from './upstream.js';
export { Resolver } from './resolver.js';
export { DnsListener, type BoundAddress, type ListenAddress } from './listener.js';
export * as wire from './wire.js';
export { clusterDnsFromConfig } from './from-config.js';
export { RemoveClusterDns } from './remove.js';
