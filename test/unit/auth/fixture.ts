/** A minimal server Config slice for auth tests. */
import type { Config } from '../../../src/config/types.js';
import { Secret } from '../../../src/config/secret.js';
import { configureLogging } from '../../../src/log/index.js';

// The PKI logs each CA it creates; keep test output to the test report (K3S_LOG_LEVEL overrides).
configureLogging({ debug: false, level: (process.env.K3S_LOG_LEVEL as 'info' | undefined) ?? 'silent' });

export type AuthTestConfig = Pick<Config, 'dataDir' | 'nodeName' | 'listener' | 'cluster' | 'kubeconfig' | 'token'>;

export function authConfig(dataDir: string, overrides: { tlsSans?: string[]; token?: string; port?: number; kubeconfig?: string; mode?: number } = {}): AuthTestConfig {
  return {
    dataDir,
    nodeName: 'node-a',
    token: overrides.token === undefined ? undefined : new Secret(overrides.token),
    listener: { bindAddress: '0.0.0.0', httpsPort: overrides.port ?? 6443, tlsSans: overrides.tlsSans ?? [] },
    cluster: {
      clusterCidrs: ['10.42.0.0/16'],
      serviceCidrs: ['10.43.0.0/16'],
      clusterDns: ['10.43.0.10'],
      clusterDomain: 'cluster.local',
      nodePortRange: { min: 30000, max: 32767 },
    },
    kubeconfig: { path: overrides.kubeconfig ?? `${dataDir}/k3s.yaml`, mode: overrides.mode ?? 0o600 },
  };
}
