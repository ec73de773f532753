/**
 * Non-resource endpoints: /version, health checks, discovery (aggregated and legacy), OpenAPI and
 * the root path list. Returns false when the path is not one of them.
 */
import type { Catalogue } from '../../api/catalogue.js';
import {
  AGGREGATED_DISCOVERY_V2,
  AGGREGATED_DISCOVERY_V2BETA1,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from '../../api/discovery.js';
import { OPENAPI_V2_PROTOBUF } from '../../api/openapi/index.js';
import { GIT_VERSION, KUBERNETES_MAJOR, KUBERNETES_MINOR } from '../../version.js';
import { pathNotFound } from '../errors.js';
import type { OpenApiSource } from '../types.js';
import { parseMediaTypes } from './negotiate.js';
import { writeError, writeJson, writeRaw, type Response } from './respond.js';

/** Paths anyone may read without credentials. */
export function isPublicPath(path: string): boolean {
  return path === '/version' || /^\/(healthz|livez|readyz)(\/.*)?$/.test(path);
}

export function versionInfo(): Record<string, string> {
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: GIT_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export interface NonResourceDeps {
  readonly catalogue: Catalogue;
  readonly openapi: OpenApiSource | undefined;
  /** host:port clients reach the server at, for APIVersions. */
  readonly serverAddress: string;
  /** Named readiness checks (/readyz/<name>); every one must pass. */
  readonly ready: () => { name: string; ok: boolean }[];
}

/** Picks aggregated discovery when the Accept header asks for it first. */
function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const m of parseMediaTypes(accept)) {
    if (m.params['g'] === 'apidiscovery.k8s.io' && m.params['as'] === 'APIGroupDiscoveryList') {
      if (m.params['v'] === 'v2') return 'v2';
      if (m.params['v'] === 'v2beta1') return 'v2beta1';
      continue;
    }
    if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*') return undefined;
  }
  return undefined;
}

function health(res: Response, path: string, query: URLSearchParams, checks: { name: string; ok: boolean }[]): void {
  const which = path.split('/')[1]!;
  const sub = path.split('/').slice(2).join('/');
  const all = [{ name: 'ping', ok: true }, ...(which === 'livez' ? [] : checks)];
  const selected = sub ? all.filter((c) => c.name === sub) : all;
  if (sub && selected.length === 0) {
    writeError(res, pathNotFound());
    return;
  }
  const ok = selected.every((c) => c.ok);
  if (query.has('verbose') || !ok) {
    const lines = selected.map((c) => `[${c.ok ? '+' : '-'}]${c.name} ${c.ok ? 'ok' : 'failed: reason withheld'}`);
    lines.push(ok ? `${which} check passed` : `${which} check failed`);
    writeRaw(res, ok ? 200 : 500, 'text/plain; charset=utf-8', lines.join('\n') + '\n', { 'X-Content-Type-Options': 'nosniff' });
    return;
  }
  writeRaw(res, 200, 'text/plain; charset=utf-8', 'ok', { 'X-Content-Type-Options': 'nosniff' });
}

/** OpenAPI documents arrive as JSON text (served as is) or as values. */
function writeDocument(res: Response, doc: unknown, headers: Record<string, string> = {}): void {
  if (typeof doc === 'string') writeRaw(res, 200, 'application/json', doc, headers);
  else writeJson(res, 200, doc, headers);
}

export function serveNonResource(deps: NonResourceDeps, method: string, path: string, query: URLSearchParams, accept: string | undefined, res: Response): boolean {
  const clean = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (clean === '/version') {
    writeJson(res, 200, versionInfo());
    return true;
  }
  if (/^\/(healthz|livez|readyz)(\/.*)?$/.test(clean)) {
    health(res, clean, query, deps.ready());
    return true;
  }
  const { catalogue } = deps;
  if (clean === '/api' || clean === '/apis') {
    const legacy = clean === '/api';
    const version = aggregatedVersion(accept);
    if (version) {
      const type = version === 'v2' ? AGGREGATED_DISCOVERY_V2 : AGGREGATED_DISCOVERY_V2BETA1;
      writeRaw(res, 200, type, JSON.stringify(aggregatedDiscovery(catalogue, legacy, version)), { Vary: 'Accept' });
    } else {
      writeJson(res, 200, legacy ? apiVersions(deps.serverAddress) : apiGroupList(catalogue), { Vary: 'Accept' });
    }
    return true;
  }
  let m = /^\/api\/([^/]+)$/.exec(clean);
  if (m) {
    const list = apiResourceList(catalogue, '', m[1]!);
    if (!list) return false;
    writeJson(res, 200, list);
    return true;
  }
  m = /^\/apis\/([^/]+)$/.exec(clean);
  if (m) {
    const group = apiGroup(catalogue, m[1]!);
    if (!group) return false;
    writeJson(res, 200, group);
    return true;
  }
  m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(clean);
  if (m) {
    const list = apiResourceList(catalogue, m[1]!, m[2]!);
    if (!list) return false;
    writeJson(res, 200, list);
    return true;
  }
  if (clean === '/openapi/v2' || clean === '/swagger.json') {
    if (!deps.openapi) return false;
    // client-go's OpenAPISchema() (kubectl's fallback validation, helm) can only read protobuf here.
    if (/proto-openapi\.spec\.v2/.test(accept ?? '') && deps.openapi.v2Protobuf) {
      writeRaw(res, 200, OPENAPI_V2_PROTOBUF, Buffer.from(deps.openapi.v2Protobuf()), { Vary: 'Accept' });
      return true;
    }
    writeDocument(res, deps.openapi.v2());
    return true;
  }
  if (clean === '/openapi/v3') {
    if (!deps.openapi) return false;
    writeDocument(res, deps.openapi.v3Index());
    return true;
  }
  m = /^\/openapi\/v3\/(.+)$/.exec(clean);
  if (m) {
    const doc = deps.openapi?.v3(m[1]!);
    if (doc === undefined) return false;
    writeDocument(res, doc, query.has('hash') ? { 'Cache-Control': 'public, immutable' } : {});
    return true;
  }
  if (clean === '/' || clean === '') {
    const paths = ['/api', '/api/v1', '/apis', ...catalogue.groups().filter((g) => g.name).flatMap((g) => [`/apis/${g.name}`, ...g.versions.map((v) => `/apis/${g.name}/${v}`)]), '/healthz', '/livez', '/readyz', '/version', ...(deps.openapi ? ['/openapi/v2', '/openapi/v3'] : [])];
    writeJson(res, 200, { paths });
    return true;
  }
  return false;
}
