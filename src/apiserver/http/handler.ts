/**
 * The HTTP request pipeline: authenticate -> authorize -> non-resource endpoints or the resource
 * REST verbs. Every failure is written as a metav1.Status; nothing escapes as a bare 500.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Catalogue } from '../../api/catalogue.js';
import { logger } from '../../log/index.js';
import { badRequest, forbidden, StatusError, toStatusError, unauthorized } from '../errors.js';
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

async function handle(deps: HandlerDeps, req: Request, res: Response): Promise<void> {
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
  }

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
