/**
 * A real API server on a real SQLite datastore for integration tests: TLS from a throwaway
 * certificate made by the real openssl, a static bearer token for the admin (system:masters) and
 * one for an unprivileged user, and a kubeconfig the real kubectl can use.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalogue } from '../../../src/api/catalogue.js';
import { ApiServer, standardExtensions } from '../../../src/apiserver/index.js';
import type { Authorize, UserInfo } from '../../../src/apiserver/index.js';
import type { Backend } from '../../../src/datastore/index.js';
import { openBackend, parseEndpoint } from '../../../src/datastore/index.js';
import { tempDir } from '../../helpers/index.js';

export const ADMIN_TOKEN = 'admin-token-for-tests';
export const USER_TOKEN = 'user-token-for-tests';

export interface Harness {
  readonly server: ApiServer;
  readonly backend: Backend;
  readonly url: string;
  readonly dir: string;
  readonly kubeconfig: string;
  readonly kube: { kubeconfig: string; cacheDir: string };
  /** fetch-like HTTPS request with the admin token (HTTP/1.1). */
  request(method: string, path: string, options?: { body?: string | Buffer; headers?: Record<string, string>; token?: string | null }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; json: () => unknown }>;
}

interface Cleanup {
  after(fn: () => unknown): void;
}

const users: Record<string, UserInfo> = {
  [ADMIN_TOKEN]: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] },
  [USER_TOKEN]: { username: 'bob', groups: ['system:authenticated'] },
};

/** Admins may do anything; bob may only read configmaps in "default". */
const authorize: Authorize = async (a) => {
  if (a.user.groups.includes('system:masters')) return { allowed: true };
  if (a.isResourceRequest && a.resource === 'configmaps' && a.namespace === 'default' && ['get', 'list', 'watch'].includes(a.verb)) return { allowed: true };
  if (!a.isResourceRequest && (a.path === '/api' || a.path === '/apis' || a.path?.startsWith('/api/') || a.path?.startsWith('/apis/'))) return { allowed: true };
  if (a.isResourceRequest && (a.apiGroup === 'authorization.k8s.io' || a.apiGroup === 'authentication.k8s.io') && a.verb === 'create') return { allowed: true };
  return { allowed: false };
};

export async function startHarness(t: Cleanup, options: { extensions?: ConstructorParameters<typeof ApiServer>[0]['extensions']; eventTtlSeconds?: number } = {}): Promise<Harness> {
  const dir = tempDir(t, 'k3s-apiserver-');
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=k3s-test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const backend = await openBackend(parseEndpoint(`sqlite://${join(dir, 'state.db')}`), { dataDir: dir, compactIntervalMs: 0 });
  const catalogue = new Catalogue();
  const server = new ApiServer({
    backend,
    tls: { key: readFileSync(key), cert: readFileSync(cert) },
    host: '127.0.0.1',
    port: 0,
    serviceCidr: '10.43.0.0/16',
    authenticate: async (r) => {
      const m = /^Bearer (.+)$/.exec(r.authorization ?? '');
      if (!m) return undefined;
      const user = users[m[1]!];
      if (!user) throw new Error('invalid bearer token');
      return user;
    },
    authorize,
    catalogue,
    extensions: options.extensions ?? standardExtensions(catalogue),
    ...(options.eventTtlSeconds !== undefined ? { eventTtlSeconds: options.eventTtlSeconds } : {}),
  });
  const controller = new AbortController();
  await server.start(controller.signal);
  t.after(async () => {
    controller.abort();
    await server.stopped();
    await backend.close();
  });
  const url = `https://127.0.0.1:${server.port}`;
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const ca = readFileSync(cert).toString('base64');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${ca}
    server: ${url}
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    token: ${ADMIN_TOKEN}
`,
  );
  const https = await import('node:https');
  const caPem = readFileSync(cert);
  const request: Harness['request'] = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
      const req = https.request(
        `${url}${path}`,
        { method, ca: caPem, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(opts.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}), ...(opts.headers ?? {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
          });
        },
      );
      req.on('error', reject);
      if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
  return { server, backend, url, dir, kubeconfig, kube: { kubeconfig, cacheDir: join(dir, 'kube-cache') }, request };
}
