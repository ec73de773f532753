/**
 * The HTTP request pipeline: authenticate -> authorize -> non-resource endpoints or the resource
 * REST verbs. Every failure is written as a metav1.Status; nothing escapes as a bare 500.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Catalogue } from '../../api/catalogue.js';
import { logger } from '../../log/index.js';
import { badRequest, forbidden, StatusError, toStatusError, unauthorized } from '../errors.js';
import { CONNECT_SUBRESOURCES, STREAMING_SUBRESOURCES, type KubeletProxy } from '../proxy/kubelet.js';
import { requestInfo, type ResourceRequestInfo } from '../request-info.js';
import type { Rest, RestContext } from '../rest.js';
import type { Authenticate, Authorize, AuthnRequest, AuthzDecision, Extensions, Impersonate, UserInfo } from '../types.js';
import type { WatchCache } from '../watch-cache.js';
import { isPublicPath, serveNonResource } from './non-resource.js';
import { writeError, type Response } from './respond.js';
import { serveResource } from './resource.js';

export interface HandlerDeps {
  readonly catalogue: Catalogue;
  readonly rest: Rest;
  readonly cache: WatchCache;
  readonly extensions: Extensions;
  readonly authenticate: Authenticate;
  readonly authorize: Authorize;
  readonly impersonate?: Impersonate;
  /** host:port clients reach the server at (known once listening). */
  readonly serverAddress: () => string;
  readonly ready: () => { name: string; ok: boolean }[];
  /** Proxies pods/log, exec, attach, portforward to the pod's kubelet; without it they answer 405. */
  readonly kubelet?: KubeletProxy;
}

/** An HTTP/1.1 upgrade request's connection (exec, attach, port-forward). */
interface Upgrade {
  readonly socket: Duplex;
  readonly head: Buffer;
}

type Request = IncomingMessage | Http2ServerRequest;

const log = logger('apiserver');

const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** The client certificate of the connection (HTTP/1.1: the socket; HTTP/2: the session's socket). */
function peerCertificate(req: Request): AuthnRequest['peerCertificate'] {
  const socket = req.socket as TLSSocket | undefined;
  if (!socket || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return undefined;
  return { raw: cert.raw, authorized: socket.authorized === true };
}

function forbiddenMessage(ri: ResourceRequestInfo, user: UserInfo, decision: AzDecision): string {
  const resource = ri.subresource ? `${ri.resource}/${ri.subresource}` : ri.resource;
  const scope = ri.namespace ? `in the namespace "${ri.namespace}"` : 'at the cluster scope';
  const text = `User "${user.username}" cannot ${ri.verb} resource "${resource}" in API group "${ri.apiGroup}" ${scope}`;
  return decision.reason ? `${text}: ${decision.reason}` : text;
}
type AzDecision = AuthzDecision;

export function createRequestHandler(deps: HandlerDeps): (req: Request, res: Response) => void {
  return (req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      const status = toStatusError(err);
      if (status.code >= 500 && status.code !== 504) log.error({ err, method: req.method, url: req.url }, 'request failed');
      try {
        writeError(res, status);
      } catch {
        res.destroy();
      }
    });
  };
}

/**
 * The same pipeline for HTTP/1.1 upgrade requests: errors are written as Status responses on
 * the raw connection; the streaming subresources take the connection over.
 */
export function createUpgradeHandler(deps: HandlerDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    res.once('finish', () => socket.end());
    socket.on('error', () => socket.destroy());
    handle(deps, req, res, { socket, head }).catch((err: unknown) => {
      const status = toStatusError(err);
      if (status.code >= 500 && status.code !== 504) log.error({ err, method: req.method, url: req.url }, 'upgrade request failed');
      try {
        writeError(res, status);
      } catch {
        socket.destroy();
      }
    });
  };
}

async function handle(deps: HandlerDeps, req: Request, res: Response, upgrade?: Upgrade): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'https://apiserver.invalid');
  } catch {
    throw badRequest('malformed request URL');
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  const query = url.searchParams;

  let user: UserInfo | undefined;
  try {
    const authorization = req.headers['authorization'];
    const cert = peerCertificate(req);
    user = await deps.authenticate({ ...(cert ? { peerCertificate: cert } : {}), ...(typeof authorization === 'string' ? { authorization } : {}) });
  } catch (err) {
    log.debug({ err: err instanceof Error ? err.message : String(err) }, 'authentication failed');
    user = undefined;
  }
  const isPublic = isPublicPath(path);
  if (!user && !isPublic) throw unauthorized();
  let who = user ?? ANONYMOUS;
  if (user && deps.impersonate) {
    const result = await deps.impersonate(user, req.headers as Record<string, string | string[] | undefined>);
    if (result.kind === 'impersonated') who = result.user;
    else if (result.kind === 'bad-request') throw badRequest(result.message);
    else if (result.kind === 'forbidden') {
      const status = result.status as { message?: string; details?: Record<string, unknown> };
      throw new StatusError(403, 'Forbidden', status.message ?? 'forbidden', (status.details ?? {}) as never);
    }
  }

  const ri = requestInfo(method, path, query);
  if (!isPublic) {
    const decision = ri.isResourceRequest
      ? await deps.authorize({
          user: who,
          verb: ri.verb,
          isResourceRequest: true,
          apiGroup: ri.apiGroup,
          apiVersion: ri.apiVersion,
          resource: ri.resource,
          subresource: ri.subresource,
          namespace: ri.namespace,
          name: ri.name,
        })
      : await deps.authorize({ user: who, verb: ri.verb, isResourceRequest: false, path });
    if (!decision.allowed) {
      if (ri.isResourceRequest) throw forbidden({ group: ri.apiGroup, resource: ri.resource }, ri.name || undefined, forbiddenMessage(ri, who, decision));
      throw new StatusError(403, 'Forbidden', `forbidden: User "${who.username}" cannot ${ri.verb} path "${path}"${decision.reason ? `: ${decision.reason}` : ''}`, {});
    }
    // A WebSocket exec/attach/port-forward is a GET, yet it starts something in the pod:
    // upstream (1.31+) also asks for `create` on the subresource.
    if (ri.isResourceRequest && ri.verb === 'get' && ri.apiGroup === '' && ri.resource === 'pods' && CONNECT_SUBRESOURCES.has(ri.subresource)) {
      const create = { ...ri, verb: 'create' as const };
      const second = await deps.authorize({ user: who, verb: 'create', isResourceRequest: true, apiGroup: '', apiVersion: ri.apiVersion, resource: 'pods', subresource: ri.subresource, namespace: ri.namespace, name: ri.name });
      if (!second.allowed) throw forbidden({ group: '', resource: 'pods' }, ri.name || undefined, forbiddenMessage(create, who, second));
    }
  }

  if (ri.isResourceRequest && deps.kubelet && ri.apiGroup === '' && ri.apiVersion === 'v1' && ri.resource === 'pods' && ri.name !== '' && STREAMING_SUBRESOURCES.has(ri.subresource)) {
    const location = await deps.kubelet.locate(ri.subresource, ri.namespace, ri.name, query);
    if (upgrade) return deps.kubelet.serveUpgrade(location, req as IncomingMessage, upgrade.socket, upgrade.head);
    if (ri.subresource === 'log' && method === 'GET') return deps.kubelet.serveLog(location, req, res);
    throw badRequest(`pods/${ri.subresource} needs a WebSocket or SPDY upgrade request`);
  }
  if (upgrade) throw badRequest(`${path} does not accept upgrade requests`);

  if (!ri.isResourceRequest) {
    const served = serveNonResource(
      { catalogue: deps.catalogue, openapi: deps.extensions.openapi, serverAddress: deps.serverAddress(), ready: deps.ready },
      method,
      path,
      query,
      req.headers['accept'],
      res,
    );
    if (!served) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    return;
  }
  const info = deps.rest.resolve(ri.apiGroup, ri.apiVersion, ri.resource);
  const userAgent = req.headers['user-agent'];
  const ctx: RestContext = { user: who, query, ...(typeof userAgent === 'string' ? { userAgent } : {}) };
  await serveResource({ rest: deps.rest, cache: deps.cache, extensions: deps.extensions }, ri, info, req, res as ServerResponse | Http2ServerResponse, ctx);
}
