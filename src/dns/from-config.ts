/** The cluster DNS component of `k3s server`, from the one Config. */
import { defaultNodeIP } from '../config/net.js';
import type { ApiClient } from '../client/index.js';
import type { Config } from '../config/index.js';
import { ClusterDns } from './cluster-dns.js';
import { pickResolvConf } from './upstream.js';

/**
 * Listens on the node's address (inside the node's network namespace; rootless: inside
 * rootlesskit's, where the process may bind port 53), so pods reach it through the kube-dns
 * Service at --cluster-dns like any other endpoint.
 */
export function clusterDnsFromConfig(config: Config, client: () => ApiClient): ClusterDns {
  return new ClusterDns({
    client,
    clusterDomain: config.cluster.clusterDomain,
    clusterIPs: config.cluster.clusterDns,
    listen: { address: config.agent.nodeIPs[0] ?? defaultNodeIP(), port: 53 },
    fallbackToFreePort: true,
    resolvConf: pickResolvConf(config.agent.resolvConf),
    nodeName: config.nodeName,
  });
}
