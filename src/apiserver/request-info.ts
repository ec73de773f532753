/**
 * What a request path and method address, as upstream's RequestInfoFactory reads them:
 *   /api/v1[/namespaces/<ns>]/<resource>[/<name>[/<subresource>[/<rest>]]]
 *   /apis/<group>/<version>[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]
 *   /api/v1/watch/... and /apis/<g>/<v>/watch/... (the legacy watch prefix)
 * Everything else (discovery, /version, /healthz, /openapi) is a non-resource request.
 */

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'proxy';

export interface ResourceRequestInfo {
  readonly isResourceRequest: true;
  readonly verb: RequestVerb;
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** '' when the path names no namespace. */
  readonly namespace: string;
  readonly resource: string;
  readonly name: string;
  readonly subresource: string;
  /** Path segments after the subresource (proxy paths). */
  readonly rest: readonly string[];
}

export interface NonResourceRequestInfo {
  readonly isResourceRequest: false;
  /** Lower-case HTTP method, as RBAC names non-resource verbs. */
  readonly verb: string;
  readonly path: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const nonResource: NonResourceRequestInfo = { isResourceRequest: false, verb: method.toLowerCase(), path };
  const parts = path.split('/').filter((p) => p !== '').map(decode);
  let apiGroup: string;
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length < 3) return nonResource;
    apiGroup = '';
    apiVersion = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return nonResource;
    apiGroup = parts[1]!;
    apiVersion = parts[2]!;
    rest = parts.slice(3);
  } else {
    return nonResource;
  }

  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  const extra = rest.slice(3);
  if (resource === '') return nonResource;

  const m = method.toUpperCase();
  let verb: RequestVerb;
  if (watchPrefix) {
    // The legacy /watch/ prefix only means something for GET.
    if (m !== 'GET' && m !== 'HEAD') return nonResource;
    verb = 'watch';
  }
  else if (m === 'GET' || m === 'HEAD') verb = name === '' ? (isTrue(query.get('watch')) ? 'watch' : 'list') : isTrue(query.get('watch')) && subresource === '' ? 'watch' : 'get';
  else if (m === 'POST') verb = 'create';
  else if (m === 'PUT') verb = 'update';
  else if (m === 'PATCH') verb = 'patch';
  else if (m === 'DELETE') verb = name === '' ? 'deletecollection' : 'delete';
  else return nonResource;

  return { isResourceRequest: true, verb, apiGroup, apiVersion, namespace, resource, name, subresource, rest: extra };
}

export function isTrue(value: string | null | undefined): boolean {
  return value === 'true' || value === '1';
}
