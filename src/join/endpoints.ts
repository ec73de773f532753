/**
 * The supervisor endpoints a joining agent uses, served on the API server's port as upstream's
 * supervisor serves them:
 *
 *   GET /cacerts                      the server CA (no credentials: the token's hash pins it)
 *   GET /ping                         "pong"
 *   GET /v1-k3s/readyz                200 once the API server serves
 *   GET /v1-k3s/server-ca.crt         the server CA          } basic auth node|server:<token secret>
 *   GET /v1-k3s/client-ca.crt         the client CA          }
 *   GET /v1-k3s/config                the cluster settings an agent needs (CIDRs, DNS, domain)
 *   GET /v1-k3s/client-kubelet.crt    CN=system:node:<name>, O=system:nodes    } + K3s-Node-Name and
 *   GET /v1-k3s/serving-kubelet.crt   the kubelet's serving cert (K3s-Node-IP) } K3s-Node-Password
 *   GET /v1-k3s/client-kube-proxy.crt CN=system:kube-proxy (bound to system:node-proxier)
 *
 * Certificates come back as the PEM chain followed by the PEM key, as upstream's do. The node
 * password is checked against (or, on first join, stored in) kube-system/<node>.node-password.k3s,
 * so one machine cannot take over another's node name. Failures are metav1.Status objects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { isIP } from 'node:net';
import type { KubeObject } from '../api/types.js';
import { checkNodePassword, nodePasswordSecret, type CertKeyPem, type Pki } from '../auth/index.js';
import { parsePrivateKey } from '../auth/keys.js';
import { readOptional } from '../auth/files.js';
import { verifyServerTokenBasicAuth } from '../auth/tokens.js';
import type { ApiClient } from '../client/index.js';
import { isAlreadyExists, isNotFound } from '../client/index.js';
import type { ClusterConfig } from '../config/index.js';
import type { Secret } from '../config/secret.js';
import { logger } from '../log/index.js';

const log = logger('supervisor');

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** What an agent learns from /v1-k3s/config (a subset of upstream's control config). */
export interface AgentClusterSettings {
  readonly clusterCidrs: readonly string[];
  readonly serviceCidrs: readonly string[];
  readonly clusterDns: readonly string[];
  readonly clusterDomain: string;
}

export interface SupervisorDeps {
  readonly pki: Pki;
  /** The token secret agents prove they know. */
  readonly password: Secret;
  readonly cluster: ClusterConfig;
  /** The API as system:apiserver (node-password Secrets). Called per request: it exists once the API server does. */
  readonly client: () => ApiClient;
  readonly ready: () => boolean;
}

export const NODE_NAME_HEADER = 'k3s-node-name';
export const NODE_PASSWORD_HEADER = 'k3s-node-password';
export const NODE_IP_HEADER = 'k3s-node-ip';

class HttpFailure extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Answers the request when it is a supervisor path (true), else leaves it to the API server. */
export type SupervisorHandler = (req: Request, res: Response) => Promise<boolean>;

export function supervisorEndpoints(deps: SupervisorDeps): SupervisorHandler {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/cacerts' && path !== '/ping' && !path.startsWith('/v1-k3s/')) return false;
    try {
      if ((req.method ?? 'GET').toUpperCase() !== 'GET') throw new HttpFailure(405, 'MethodNotAllowed', `${req.method} is not supported on ${path}`);
      await serve(deps, req, res, path);
    } catch (err) {
      const failure = err instanceof HttpFailure ? err : new HttpFailure(500, 'InternalError', `${path}: ${(err as Error).message}`);
      if (failure.code >= 500) log.error({ err, path }, 'supervisor request failed');
      else log.info({ path, code: failure.code, reason: failure.message, node: header(req, NODE_NAME_HEADER) }, 'supervisor request refused');
      const body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: failure.message, reason: failure.reason, code: failure.code };
      send(res, failure.code, 'application/json', JSON.stringify(body));
    }
    return true;
  };
}

async function serve(deps: SupervisorDeps, req: Request, res: Response, path: string): Promise<void> {
  if (path === '/cacerts') return send(res, 200, 'text/plain', deps.pki.serverCaPem);
  if (path === '/ping') return send(res, 200, 'text/plain', 'pong');
  if (path === '/v1-k3s/readyz') {
    if (!deps.ready()) throw new HttpFailure(503, 'ServiceUnavailable', 'the API server is not ready yet');
    return send(res, 200, 'text/plain', 'ok');
  }
  const auth = verifyServerTokenBasicAuth(header(req, 'authorization'), deps.password);
  if (!auth) throw new HttpFailure(401, 'Unauthorized', 'the token is not this cluster\'s: use the content of the server\'s node-token file (/var/lib/rancher/k3s/server/node-token)');
  switch (path) {
    case '/v1-k3s/server-ca.crt':
      return send(res, 200, 'text/plain', deps.pki.serverCaPem);
    case '/v1-k3s/client-ca.crt':
      return send(res, 200, 'text/plain', deps.pki.clientCaPem);
    case '/v1-k3s/config': {
      const c = deps.cluster;
      const settings: AgentClusterSettings = { clusterCidrs: c.clusterCidrs, serviceCidrs: c.serviceCidrs, clusterDns: c.clusterDns, clusterDomain: c.clusterDomain };
      return send(res, 200, 'application/json', JSON.stringify(settings));
    }
    case '/v1-k3s/client-kubelet.crt': {
      const node = await authorizeNode(deps, req);
      const key = parsePrivateKey(await mustRead(deps.pki.paths.clientKubeletKey), deps.pki.paths.clientKubeletKey);
      const issued = await deps.pki.signClientCertificate(`system:node:${node}`, ['system:nodes'], key);
      log.info({ node }, 'issued a kubelet client certificate');
      return sendCert(res, issued);
    }
    case '/v1-k3s/client-kube-proxy.crt': {
      const issued = await deps.pki.signClientCertificate('system:kube-proxy', []);
      return sendCert(res, issued);
    }
    case '/v1-k3s/serving-kubelet.crt': {
      const node = await authorizeNode(deps, req);
      const ips = (header(req, NODE_IP_HEADER) ?? '').split(',').map((s) => s.trim()).filter((s) => isIP(s) !== 0);
      const key = parsePrivateKey(await mustRead(deps.pki.paths.servingKubeletKey), deps.pki.paths.servingKubeletKey);
      const issued = await deps.pki.signServingCertificate(node, [node, 'localhost', '127.0.0.1', ...ips], key);
      return sendCert(res, issued);
    }
    default:
      throw new HttpFailure(404, 'NotFound', `${path} is not a supervisor endpoint`);
  }
}

/** The node name of the request, once its node password is proven (or stored on first join). */
async function authorizeNode(deps: SupervisorDeps, req: Request): Promise<string> {
  const node = header(req, NODE_NAME_HEADER)?.toLowerCase();
  const password = header(req, NODE_PASSWORD_HEADER);
  if (!node || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node)) throw new HttpFailure(400, 'BadRequest', `the ${NODE_NAME_HEADER} header must carry a valid node name`);
  if (!password) throw new HttpFailure(400, 'BadRequest', `the ${NODE_PASSWORD_HEADER} header is missing`);
  const client = deps.client();
  const lookup = async (ref: { kind: string; namespace?: string; name: string }): Promise<KubeObject | undefined> => {
    try {
      return await client.get({ group: '', version: 'v1', resource: 'secrets', namespace: ref.namespace ?? '' }, ref.name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const verdict = await checkNodePassword(lookup, node, password);
  if (verdict === 'mismatch') {
    throw new HttpFailure(403, 'Forbidden', `node password rejected for node "${node}": another machine joined with this name; pick another --node-name, or delete the Secret kube-system/${node}.node-password.k3s if this machine was reinstalled`);
  }
  if (verdict === 'missing') {
    try {
      await client.create({ group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' }, await nodePasswordSecret(node, password));
      log.info({ node }, 'stored the password of a new node');
    } catch (err) {
      // Two requests of the same first join raced: the other one stored it; check against it.
      if (!isAlreadyExists(err) || (await checkNodePassword(lookup, node, password)) !== 'match') throw err;
    }
  }
  return node;
}

async function mustRead(path: string): Promise<string> {
  const text = await readOptional(path);
  if (text === undefined) throw new Error(`${path} is missing`);
  return text;
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
}

function sendCert(res: Response, issued: CertKeyPem): void {
  send(res, 200, 'text/plain', `${issued.certPem.trimEnd()}\n${issued.keyPem.trimEnd()}\n`);
}

function send(res: Response, code: number, type: string, body: string): void {
  const payload = Buffer.from(body);
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': String(payload.length), 'Cache-Control': 'no-cache, private' });
  res.end(payload);
}
