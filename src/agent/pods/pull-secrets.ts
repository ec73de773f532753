/**
 * imagePullSecrets: the registry credentials in a pod's kubernetes.io/dockerconfigjson (or
 * legacy .dockercfg) Secrets, matched to the image's registry host as the kubelet's keyring
 * does (docker.io also answers to index.docker.io and its v1 URL).
 */
import type { AuthConfig } from '../cri/index.js';

/** The registry host of an image reference ("busybox" -> docker.io). */
export function registryHost(image: string): string {
  const first = image.split('/')[0]!;
  if (!image.includes('/') || (!first.includes('.') && !first.includes(':') && first !== 'localhost')) return 'docker.io';
  return first;
}

function normalize(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0]!;
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** Credentials for `image` from the decoded data of pull secrets, first match wins. */
export function authFor(image: string, secrets: readonly Record<string, string>[]): AuthConfig | undefined {
  const host = registryHost(image);
  for (const data of secrets) {
    const json = data['.dockerconfigjson'] ?? data['.dockercfg'];
    if (!json) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(json) as Record<string, unknown>;
    } catch {
      continue;
    }
    const auths = (data['.dockerconfigjson'] ? parsed['auths'] : parsed) as Record<string, { username?: string; password?: string; auth?: string }> | undefined;
    for (const [key, entry] of Object.entries(auths ?? {})) {
      if (normalize(key) !== host) continue;
      let { username, password } = entry;
      if ((!username || !password) && entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      }
      // No serverAddress: containerd parses it as a URL and rejects a bare host:port.
      if (username !== undefined && password !== undefined) return { username, password };
    }
  }
  return undefined;
}
