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
