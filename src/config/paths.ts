/** Paths derived from the Config (runtime layout, as upstream k3s lays out its data dir). */
import { join } from 'node:path';
import type { Config } from './types.js';

export interface ServerPaths {
  readonly serverDir: string;
  readonly dbDir: string;
  readonly sqliteFile: string;
  readonly tlsDir: string;
  readonly tokenFile: string;
  readonly nodeTokenFile: string;
  readonly kineSocket: string;
  readonly manifestsDir: string;
  /** Credentials that are not certificates (upstream: passwd, node-passwd, ipsec.psk). */
  readonly credDir: string;
}

export function serverPaths(config: Pick<Config, 'dataDir'>): ServerPaths {
  const serverDir = join(config.dataDir, 'server');
  return {
    serverDir,
    dbDir: join(serverDir, 'db'),
    sqliteFile: join(serverDir, 'db', 'state.db'),
    tlsDir: join(serverDir, 'tls'),
    tokenFile: join(serverDir, 'token'),
    nodeTokenFile: join(serverDir, 'node-token'),
    kineSocket: join(serverDir, 'kine.sock'),
    manifestsDir: join(serverDir, 'manifests'),
    credDir: join(serverDir, 'cred'),
  };
}

/** The server's PKI files under <data-dir>/server/tls, named as upstream k3s names them. */
export interface TlsPaths {
  readonly dir: string;
  readonly serverCa: string;
  readonly serverCaKey: string;
  readonly serverCaNoChain: string;
  readonly clientCa: string;
  readonly clientCaKey: string;
  readonly clientCaNoChain: string;
  readonly requestHeaderCa: string;
  readonly requestHeaderCaKey: string;
  readonly servingKubeApiserver: string;
  readonly servingKubeApiserverKey: string;
  readonly servingKubeletKey: string;
  readonly clientKubeletKey: string;
  readonly clientAdmin: string;
  readonly clientAdminKey: string;
  readonly clientSupervisor: string;
  readonly clientSupervisorKey: string;
  readonly clientController: string;
  readonly clientControllerKey: string;
  readonly clientScheduler: string;
  readonly clientSchedulerKey: string;
  readonly clientKubeApiserver: string;
  readonly clientKubeApiserverKey: string;
  readonly clientKubeProxy: string;
  readonly clientKubeProxyKey: string;
  readonly clientK3sController: string;
  readonly clientK3sControllerKey: string;
  readonly clientAuthProxy: string;
  readonly clientAuthProxyKey: string;
  /** Service-account token signing keys; the first is current, later ones verify only. */
  readonly serviceKey: string;
  readonly serviceCurrentKey: string;
}

export function tlsPaths(config: Pick<Config, 'dataDir'>): TlsPaths {
  const dir = join(config.dataDir, 'server', 'tls');
  const f = (name: string): string => join(dir, name);
  return {
    dir,
    serverCa: f('server-ca.crt'),
    serverCaKey: f('server-ca.key'),
    serverCaNoChain: f('server-ca.nochain.crt'),
    clientCa: f('client-ca.crt'),
    clientCaKey: f('client-ca.key'),
    clientCaNoChain: f('client-ca.nochain.crt'),
    requestHeaderCa: f('request-header-ca.crt'),
    requestHeaderCaKey: f('request-header-ca.key'),
    servingKubeApiserver: f('serving-kube-apiserver.crt'),
    servingKubeApiserverKey: f('serving-kube-apiserver.key'),
    servingKubeletKey: f('serving-kubelet.key'),
    clientKubeletKey: f('client-kubelet.key'),
    clientAdmin: f('client-admin.crt'),
    clientAdminKey: f('client-admin.key'),
    clientSupervisor: f('client-supervisor.crt'),
    clientSupervisorKey: f('client-supervisor.key'),
    clientController: f('client-controller.crt'),
    clientControllerKey: f('client-controller.key'),
    clientScheduler: f('client-scheduler.crt'),
    clientSchedulerKey: f('client-scheduler.key'),
    clientKubeApiserver: f('client-kube-apiserver.crt'),
    clientKubeApiserverKey: f('client-kube-apiserver.key'),
    clientKubeProxy: f('client-kube-proxy.crt'),
    clientKubeProxyKey: f('client-kube-proxy.key'),
    clientK3sController: f('client-k3s-controller.crt'),
    clientK3sControllerKey: f('client-k3s-controller.key'),
    clientAuthProxy: f('client-auth-proxy.crt'),
    clientAuthProxyKey: f('client-auth-proxy.key'),
    serviceKey: f('service.key'),
    serviceCurrentKey: f('service.current.key'),
  };
}

export interface AgentPaths {
  readonly agentDir: string;
  readonly imagesDir: string;
  readonly podManifestsDir: string;
  readonly containerdDir: string;
  readonly containerdConfigDir: string;
}

export function agentPaths(config: Pick<Config, 'dataDir'>): AgentPaths {
  const agentDir = join(config.dataDir, 'agent');
  return {
    agentDir,
    imagesDir: join(agentDir, 'images'),
    podManifestsDir: join(agentDir, 'pod-manifests'),
    containerdDir: join(agentDir, 'containerd'),
    containerdConfigDir: join(agentDir, 'etc', 'containerd'),
  };
}
