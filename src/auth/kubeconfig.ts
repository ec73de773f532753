/**
 * The admin kubeconfig, laid out as upstream k3s writes /etc/rancher/k3s/k3s.yaml: one cluster,
 * context and user all named "default", the server CA and the admin certificate and key embedded
 * as base64 data, server https://127.0.0.1:<port> (or the bind address when it is specific).
 * Written atomically (temp file + rename) with --write-kubeconfig-mode.
 */
import { stringify } from 'yaml';
import type { Config } from '../config/types.js';
import { writeFileAtomic } from './files.js';
import type { CertKeyPem } from './pki.js';

export interface KubeconfigInput {
  readonly server: string;
  readonly caPem: string;
  readonly client: CertKeyPem;
  /** Default "default" for cluster, context and user, as upstream. */
  readonly name?: string;
}

/** The kubeconfig YAML text. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const name = input.name ?? 'default';
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  const doc = {
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(input.caPem), server: input.server }, name }],
    contexts: [{ context: { cluster: name, user: name }, name }],
    'current-context': name,
    kind: 'Config',
    preferences: {},
    users: [{ name, user: { 'client-certificate-data': b64(input.client.certPem), 'client-key-data': b64(input.client.keyPem) } }],
  };
  return stringify(doc, { lineWidth: 0 });
}

/** https://127.0.0.1:<port>, or the bind address when it names one interface ([v6] bracketed). */
export function apiServerUrl(config: Pick<Config, 'listener'>): string {
  const bind = config.listener.bindAddress;
  const host = !bind || bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  return `https://${host.includes(':') ? `[${host}]` : host}:${config.listener.httpsPort}`;
}

/** Writes the admin kubeconfig to config.kubeconfig.path with config.kubeconfig.mode. Returns the path. */
export async function writeKubeconfig(
  config: Pick<Config, 'listener' | 'kubeconfig'>,
  pki: { readonly serverCaPem: string; readonly admin: CertKeyPem },
  server = apiServerUrl(config),
): Promise<string> {
  const text = renderKubeconfig({ server, caPem: pki.serverCaPem, client: pki.admin });
  try {
    await writeFileAtomic(config.kubeconfig.path, text, config.kubeconfig.mode);
  } catch (err) {
    throw new Error(
      `cannot write the kubeconfig to ${config.kubeconfig.path}: ${(err as Error).message}. Choose another path with --write-kubeconfig, or run with the permissions that directory needs`,
      { cause: err },
    );
  }
  return config.kubeconfig.path;
}
