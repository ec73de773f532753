/**
 * `k3s agent`'s one Runnable: join the server (certificates from its supervisor endpoints, see
 * agent-join.ts), then run the same node Agent as `k3s server` does, over HTTPS with the
 * kubelet's client certificate (and kube-proxy's for what the service proxy reads) instead of
 * the loopback client. The cluster settings the server
 * holds (cluster CIDR, cluster DNS, domain) come from it, as upstream agents take them.
 */
import { join } from 'node:path';
import { Agent, DEFAULT_DATA_DIR, KUBELET_PORT } from '../agent/index.js';
import { HttpsClient } from '../client/https-client.js';
import type { Config } from '../config/index.js';
import { ConfigError } from '../config/index.js';
import type { Runnable } from '../supervisor/runnable.js';
import { joinCluster, type JoinOptions } from './agent-join.js';
import { IdentityClient } from './identity-client.js';

/** Upstream's place for the machine's node password; per data dir when the data dir is not the default. */
export function nodePasswordFile(config: Pick<Config, 'dataDir' | 'rootless'>): string {
  return config.dataDir === DEFAULT_DATA_DIR && !config.rootless ? '/etc/rancher/node/password' : join(config.dataDir, 'agent', 'node-password');
}

export class RemoteAgent implements Runnable {
  readonly name = 'agent';
  #agent: Agent | undefined;
  #clients: HttpsClient[] = [];

  constructor(
    private readonly config: Config,
    private readonly options: { readonly startedAt?: number; readonly backoffMs?: JoinOptions['backoffMs'] } = {},
  ) {}

  async start(signal: AbortSignal): Promise<void> {
    const { config } = this;
    const server = config.agent.serverUrl;
    if (!server) throw new ConfigError('k3s agent needs the server to join: --server https://HOST:6443 (or K3S_URL)');
    if (!config.token) throw new ConfigError('k3s agent needs the cluster token: --token (K3S_TOKEN) or --token-file, from the server\'s /var/lib/rancher/k3s/server/node-token');
    const joined = await joinCluster(
      {
        server,
        token: config.token.reveal(),
        nodeName: config.nodeName,
        nodeIPs: config.agent.nodeIPs,
        agentDir: join(config.dataDir, 'agent'),
        passwordFile: nodePasswordFile(config),
        ...(this.options.backoffMs ? { backoffMs: this.options.backoffMs } : {}),
      },
      signal,
    );
    const https = (identity: { certPem: string; keyPem: string }, userAgent: string): HttpsClient =>
      new HttpsClient({ server: joined.server, ca: joined.serverCaPem, cert: identity.certPem, key: identity.keyPem, userAgent });
    this.#clients = [https(joined.kubeletClient, `kubelet/${config.nodeName}`), https(joined.kubeProxyClient, `kube-proxy/${config.nodeName}`)];
    const client = new IdentityClient(this.#clients[0]!, this.#clients[1]!);
    const cluster = { ...config.cluster, ...joined.cluster };
    // The kubelet API serves with the certificate the server issued for this node and accepts
    // only the client CA's certificates (the API server's), as upstream.
    const kubeletApi = {
      port: KUBELET_PORT,
      tls: async () => ({ certPem: joined.kubeletServing.certPem, keyPem: joined.kubeletServing.keyPem, clientCaPem: joined.clientCaPem }),
    };
    this.#agent = new Agent({ ...config, cluster }, { client, controlPlane: false, kubeletApi, ...(this.options.startedAt !== undefined ? { startedAt: this.options.startedAt } : {}) });
    await this.#agent.start(signal);
  }

  async stopped(): Promise<void> {
    await this.#agent?.stopped();
    for (const client of this.#clients) client.close();
  }
}
