/**
 * Assembles `k3s server`: the runnables in start order, from one Config.
 */
import { ConfigError, type Config } from '../config/index.js';
import { tlsPaths } from '../config/paths.js';
import { performance } from 'node:perf_hooks';
import { logger } from '../log/index.js';
import { PortForwarder, UNPRIVILEGED_PORT_START_ENV, type Forward } from '../rootless/index.js';
import { Agent, KUBELET_PORT } from '../agent/index.js';
import { NodeStatsCollector } from '../agent/stats/collector.js';
import { clusterDnsFromConfig, RemoveClusterDns } from '../dns/index.js';
import type { ApiClient } from '../client/index.js';
import { ControlPlane } from './control-plane.js';
import { Controllers } from './controllers.js';
import { Supervisor } from './supervisor.js';

export async function runServer(config: Config): Promise<number> {
  const startedAt = performance.now();
  const supervisor = new Supervisor();
  logger('server').info({ dataDir: config.dataDir, configFiles: config.configFiles, rootless: config.rootless }, 'starting k3s server');
  const ports = config.rootless ? rootlessPorts(config) : undefined;
  if (ports) supervisor.add(ports.forwarder);
  // The server's own node is measured in-process for metrics.k8s.io (kubectl top).
  const holder: { agent?: Agent } = {};
  const collector = new NodeStatsCollector(config.nodeName, { criSocket: () => holder.agent?.criSocket, rootless: config.rootless });
  const controlPlane = new ControlPlane(config, startedAt, () => (holder.agent ? [collector] : []));
  supervisor.add(controlPlane);
  // The API server port's forward is made while the control plane starts; a failure (the port is taken on the host) still fails start-up.
  if (ports) supervisor.add(ports.forwarder.confirmation);
  supervisor.add(new Controllers({ client: () => loopbackOf(controlPlane), serverCaFile: tlsPaths(config).serverCa, ...(ports ? { rootlessPorts: ports } : {}), ...(config.components.disabled.has('servicelb') ? {} : { serviceLB: { rootless: config.rootless } }) }));
  // The server's own node (upstream: "pods can run on the server"), on the loopback client.
  // Cluster DNS answers on the node's address, so only where this process runs a node.
  if (!config.components.disableAgent && !config.components.disabled.has('coredns')) supervisor.add(clusterDnsFromConfig(config, () => loopbackOf(controlPlane)));
  else if (config.components.disabled.has('coredns')) supervisor.add(new RemoveClusterDns(() => loopbackOf(controlPlane)));
  if (!config.components.disableAgent) {
    holder.agent = new Agent(config, { client: () => loopbackOf(controlPlane), controlPlane: true, startedAt, kubeletApi: { port: KUBELET_PORT, tls: (names) => controlPlane.kubeletTls(names) } });
    supervisor.add(holder.agent);
  }
  return supervisor.run();
}

function loopbackOf(controlPlane: ControlPlane): ApiClient {
  const apiserver = controlPlane.apiserver;
  if (!apiserver) throw new Error('internal: the agent started before the API server');
  return apiserver.loopback();
}

/** Inside the rootless namespaces: the API server port is reachable on the host through rootlesskit. */
function rootlessPorts(config: Config): { forwarder: PortForwarder; fixed: Forward[] } {
  const stateDir = process.env.ROOTLESSKIT_STATE_DIR;
  if (!stateDir) throw new ConfigError('internal: rootless server started outside rootlesskit (ROOTLESSKIT_STATE_DIR unset)');
  const fixed: Forward[] = [{ proto: 'tcp', port: config.listener.httpsPort, hostIP: config.listener.bindAddress, owner: 'API server' }];
  return { forwarder: new PortForwarder(stateDir, fixed, Number(process.env[UNPRIVILEGED_PORT_START_ENV] ?? '1024')), fixed };
}
