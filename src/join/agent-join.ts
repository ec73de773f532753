/**
 * The agent's side of joining, as upstream's agent does it: fetch the server CA from /cacerts and
 * check it against the hash the K10 token pins, then (trusting only that CA) fetch the cluster
 * settings and the kubelet's client and serving certificates from the supervisor endpoints,
 * proving the token secret and this node's password. Everything lands under
 * <data-dir>/agent (upstream's file names), and the result is what the agent's HTTPS API client
 * needs. An unreachable server or a refused token is retried with backoff, each attempt logged
 * with the reason; a token that cannot be parsed fails at once.
 */
import { randomBytes } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { readOptional, writeFileAtomic } from '../auth/files.js';
import { renderKubeconfig } from '../auth/kubeconfig.js';
import { joinCredentials, parseToken, TokenFormatError, type JoinCredentials } from '../auth/tokens.js';
import { logger } from '../log/index.js';
import { sleep } from '../supervisor/sleep.js';
import { NODE_IP_HEADER, NODE_NAME_HEADER, NODE_PASSWORD_HEADER, type AgentClusterSettings } from './endpoints.js';

const log = logger('agent-join');

export interface JoinOptions {
  /** https://HOST:6443 */
  readonly server: string;
  readonly token: string;
  readonly nodeName: string;
  readonly nodeIPs: readonly string[];
  /** <data-dir>/agent */
  readonly agentDir: string;
  /** Where this machine's node password is kept (upstream: /etc/rancher/node/password). */
  readonly passwordFile: string;
  /** First and largest wait between attempts (default 1 s and 30 s). */
  readonly backoffMs?: { readonly initial: number; readonly max: number };
}

export interface JoinedCluster {
  readonly server: string;
  readonly serverCaPem: string;
  readonly clientCaPem: string;
  /** CN=system:node:<name>, O=system:nodes: the kubelet's identity for the API. */
  readonly kubeletClient: { readonly certPem: string; readonly keyPem: string };
  readonly kubeletServing: { readonly certPem: string; readonly keyPem: string };
  /** CN=system:kube-proxy: the service proxy's identity (upstream runs kube-proxy with it). */
  readonly kubeProxyClient: { readonly certPem: string; readonly keyPem: string };
  readonly cluster: AgentClusterSettings;
}

/** Why one attempt failed, worded for the log. */
export class JoinError extends Error {}

/** Joins, retrying until it succeeds or `signal` aborts (then it throws the last error). */
export async function joinCluster(options: JoinOptions, signal: AbortSignal): Promise<JoinedCluster> {
  try {
    parseToken(options.token);
  } catch (err) {
    throw new TokenFormatError(`--token: ${(err as Error).message}`, { cause: err });
  }
  const backoff = options.backoffMs ?? { initial: 1000, max: 30_000 };
  let wait = backoff.initial;
  for (let attempt = 1; ; attempt++) {
    try {
      return await joinOnce(options);
    } catch (err) {
      if (signal.aborted) throw err;
      log.error({ server: options.server, attempt, retryInMs: wait, err: (err as Error).message }, 'joining the server failed; retrying');
      await sleep(wait, signal);
      if (signal.aborted) throw err;
      wait = Math.min(wait * 2, backoff.max);
    }
  }
}

export async function joinOnce(options: JoinOptions): Promise<JoinedCluster> {
  const base = options.server.replace(/\/+$/, '');
  const cacerts = await get(`${base}/cacerts`, { insecure: true }, 'fetching the server CA');
  let credentials: JoinCredentials;
  try {
    credentials = joinCredentials(options.token, cacerts);
  } catch (err) {
    throw new JoinError(`${(err as Error).message}: the token is for another cluster (or ${base} is not the server you meant)`, { cause: err });
  }
  if (credentials.warning) log.warn({ server: base }, credentials.warning);
  const password = await nodePassword(options.passwordFile);
  const headers = {
    Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password.reveal()}`).toString('base64')}`,
    [NODE_NAME_HEADER]: options.nodeName,
    [NODE_PASSWORD_HEADER]: password,
    [NODE_IP_HEADER]: options.nodeIPs.join(','),
  };
  const trusted = { ca: cacerts, headers };
  const [settings, clientCa, client, serving, proxy] = await Promise.all([
    get(`${base}/v1-k3s/config`, trusted, 'fetching the cluster settings'),
    get(`${base}/v1-k3s/client-ca.crt`, trusted, 'fetching the client CA'),
    get(`${base}/v1-k3s/client-kubelet.crt`, trusted, 'fetching the kubelet client certificate'),
    get(`${base}/v1-k3s/serving-kubelet.crt`, trusted, 'fetching the kubelet serving certificate'),
    get(`${base}/v1-k3s/client-kube-proxy.crt`, trusted, 'fetching the kube-proxy client certificate'),
  ]);
  const joined: JoinedCluster = {
    server: base,
    serverCaPem: cacerts,
    clientCaPem: clientCa,
    kubeletClient: splitCertKey(client, 'client-kubelet.crt'),
    kubeletServing: splitCertKey(serving, 'serving-kubelet.crt'),
    kubeProxyClient: splitCertKey(proxy, 'client-kube-proxy.crt'),
    cluster: JSON.parse(settings) as AgentClusterSettings,
  };
  await writeFiles(options.agentDir, joined);
  log.info({ server: base, node: options.nodeName, caVerified: credentials.caVerified }, 'joined the cluster: kubelet certificates issued');
  return joined;
}

/** The node password, generated once per machine and kept (0600). */
async function nodePassword(file: string): Promise<string> {
  const existing = (await readOptional(file))?.trim();
  if (existing) return existing;
  const password = randomBytes(16).toString('hex');
  await writeFileAtomic(file, password + '\n', 0o600);
  return password;
}

async function writeFiles(agentDir: string, joined: JoinedCluster): Promise<void> {
  await Promise.all([
    writeFileAtomic(join(agentDir, 'server-ca.crt'), joined.serverCaPem, 0o644),
    writeFileAtomic(join(agentDir, 'client-ca.crt'), joined.clientCaPem, 0o644),
    writeFileAtomic(join(agentDir, 'client-kubelet.crt'), joined.kubeletClient.certPem, 0o644),
    writeFileAtomic(join(agentDir, 'client-kubelet.key'), joined.kubeletClient.keyPem, 0o600),
    writeFileAtomic(join(agentDir, 'serving-kubelet.crt'), joined.kubeletServing.certPem, 0o644),
    writeFileAtomic(join(agentDir, 'serving-kubelet.key'), joined.kubeletServing.keyPem, 0o600),
    writeFileAtomic(join(agentDir, 'client-kube-proxy.crt'), joined.kubeProxyClient.certPem, 0o644),
    writeFileAtomic(join(agentDir, 'client-kube-proxy.key'), joined.kubeProxyClient.keyPem, 0o600),
    // The kubelet's identity as a kubeconfig, as upstream leaves it for debugging a node.
    writeFileAtomic(join(agentDir, 'kubelet.kubeconfig'), renderKubeconfig({ server: joined.server, caPem: joined.serverCaPem, client: joined.kubeletClient }), 0o600),
  ]);
}

function splitCertKey(pem: string, what: string): { certPem: string; keyPem: string } {
  const keyStart = pem.search(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  if (keyStart < 0 || !pem.includes('-----BEGIN CERTIFICATE-----')) throw new JoinError(`${what}: the server answered no certificate and key`);
  return { certPem: pem.slice(0, keyStart).trim() + '\n', keyPem: pem.slice(keyStart).trim() + '\n' };
}

interface GetOptions {
  readonly insecure?: boolean;
  readonly ca?: string;
  readonly headers?: Record<string, string>;
}

function get(url: string, options: GetOptions, what: string): Promise<string> {
  const target = new URL(url);
  const requestOptions: RequestOptions = {
    method: 'GET',
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port || 443,
    path: target.pathname,
    headers: { 'User-Agent': 'k3s-agent', ...options.headers },
    rejectUnauthorized: !options.insecure,
    ...(options.ca ? { ca: options.ca } : {}),
    timeout: 15_000,
  };
  return new Promise((resolve, reject) => {
    const req = request(requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code === 200) return resolve(text);
        let message = text.slice(0, 300);
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? message;
        } catch {
          // not a Status
        }
        reject(new JoinError(`${what}: ${url} answered ${code}: ${message}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new JoinError(`${what}: cannot reach ${url}: ${err.code ?? err.message}`, { cause: err })));
    req.end();
  });
}
