/**
 * Resource requests over HTTP: decode the body, call the REST verb, encode the answer in the
 * negotiated format (JSON, YAML, Table, PartialObjectMetadata), or stream a watch.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import type { PatchType } from '../../client/types.js';
import { badRequest, methodNotAllowed, unsupportedMediaType } from '../errors.js';
import type { ResourceRequestInfo } from '../request-info.js';
import { isTrue } from '../request-info.js';
import { parseFieldSelector } from '../selectors/fields.js';
import type { ListResult } from '../registry/list.js';
import { apiVersionOf } from '../registry/object-meta.js';
import { listQuery, type Rest, type RestContext } from '../rest.js';
import { parseIncludeObject, toTable, type IncludeObject } from '../table.js';
import type { Extensions } from '../types.js';
import { startWatch, type WatchType } from '../watch.js';
import { CachedObject, type WatchCache } from '../watch-cache.js';
import { decodeBody, readBody, type DecodedBody } from './body.js';
import { negotiateOutput, type OutputFormat } from './negotiate.js';
import { writeJsonText, writeValue, type Response } from './respond.js';

export interface ResourceDeps {
  readonly rest: Rest;
  readonly cache: WatchCache;
  readonly extensions: Extensions;
  readonly now?: () => Date;
}

type Request = IncomingMessage | Http2ServerRequest;

const PATCH_TYPES: Record<string, PatchType> = {
  'patch-json': 'json',
  'patch-merge': 'merge',
  'patch-strategic': 'strategic',
  'patch-apply': 'apply',
};

function partialObject(object: KubeObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: object.metadata ?? {} };
}

function listMeta(result: ListResult): Record<string, unknown> {
  return {
    resourceVersion: result.resourceVersion,
    ...(result.continue ? { continue: result.continue } : {}),
    ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
  };
}

/** Field validation of a decoded body: Strict -> 400, Warn -> Warning headers, Ignore. */
function fieldValidation(info: ResourceInfo, query: URLSearchParams, decoded: DecodedBody, ext: Extensions, kind: string, group: string, version: string): string[] {
  const mode = query.get('fieldValidation') ?? 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw badRequest(`fieldValidation: Unsupported value: "${mode}": supported values: "Ignore", "Warn", "Strict"`);
  }
  if (mode === 'Ignore' || decoded.type === 'protobuf' || decoded.type === 'patch-json') return [];
  const problems: string[] = [];
  if (ext.unknownFields && decoded.value !== null && typeof decoded.value === 'object') {
    for (const path of ext.unknownFields({ group, version, kind }, stripDirectives(decoded.value))) problems.push(`unknown field "${path}"`);
  }
  for (const path of decoded.duplicates) problems.push(path.startsWith('duplicate field') ? path : `duplicate field "${path}"`);
  if (problems.length === 0) return [];
  if (mode === 'Strict') throw badRequest(`strict decoding error: ${problems.join(', ')}`);
  void info;
  return problems;
}

/** Strategic-merge directives ($patch, $setElementOrder/..., $retainKeys) are not fields. */
function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
    return out;
  }
  return value;
}

function warningHeaders(warnings: string[]): Record<string, string[]> {
  if (warnings.length === 0) return {};
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
}

function bodyKind(info: ResourceInfo, subresource: string): { kind: string; group: string; version: string } {
  const sub = subresource ? info.subresources.find((s) => s.name === subresource) : undefined;
  if (sub && subresource !== 'status') return { kind: sub.kind.kind, group: sub.kind.group, version: sub.kind.version };
  return { kind: info.kind, group: info.group, version: info.version };
}

export async function serveResource(deps: ResourceDeps, ri: ResourceRequestInfo, info: ResourceInfo, req: Request, res: Response, ctx: RestContext): Promise<void> {
  const { rest } = deps;
  const query = ctx.query;
  const namespace = info.namespaced ? ri.namespace : '';
  if (!info.namespaced && ri.namespace !== '' && !(info.kind === 'Namespace' && info.group === '')) throw methodNotAllowed();
  const name = info.kind === 'Namespace' && info.group === '' && ri.name === '' && ri.namespace !== '' && ri.resource === 'namespaces' ? ri.namespace : ri.name;
  const pretty = isTrue(query.get('pretty'));
  const accept = req.headers['accept'];
  const readVerb = ri.verb === 'get' || ri.verb === 'list' || ri.verb === 'watch';
  const format = negotiateOutput(accept, readVerb && (ri.subresource === '' || ri.subresource === 'status'), pretty);
  const now = deps.now?.() ?? new Date();
  const verbs = info.verbs;
  const allowed = (verb: string): void => {
    if (ri.subresource === '' && !verbs.includes(verb as never)) throw methodNotAllowed();
  };

  switch (ri.verb) {
    case 'get': {
      allowed('get');
      const object = await rest.get(info, namespace, name, ri.subresource, ctx);
      writeObject(res, 200, info, object, format, query, now);
      return;
    }
    case 'list': {
      allowed('list');
      const result = await rest.list(info, namespace, ctx);
      writeList(res, info, result, format, query, now);
      return;
    }
    case 'watch': {
      allowed('watch');
      await serveWatch(deps, info, namespace, name, req, res, format, query, now);
      return;
    }
    case 'create': {
      if (ri.subresource === '' && ri.name === '') allowed('create');
      const body = await readDecoded(req, deps.extensions);
      const bk = bodyKind(info, ri.subresource);
      const warnings = ri.subresource === '' ? fieldValidation(info, query, body, deps.extensions, bk.kind, bk.group, bk.version) : [];
      const outcome = await rest.create(info, namespace, name, ri.subresource, body.value, ctx);
      writeObject(res, outcome.code, info, outcome.object, format, query, now, warningHeaders(warnings));
      return;
    }
    case 'update': {
      if (name === '') throw methodNotAllowed();
      allowed('update');
      const body = await readDecoded(req, deps.extensions);
      const bk = bodyKind(info, ri.subresource);
      const warnings = fieldValidation(info, query, body, deps.extensions, bk.kind, bk.group, bk.version);
      const outcome = await rest.update(info, namespace, name, ri.subresource, body.value, ctx);
      writeObject(res, outcome.code, info, outcome.object, format, query, now, warningHeaders(warnings));
      return;
    }
    case 'patch': {
      if (name === '') throw methodNotAllowed();
      allowed('patch');
      const contentType = req.headers['content-type'];
      const body = await readDecoded(req, deps.extensions);
      const type = PATCH_TYPES[body.type];
      if (!type) throw unsupportedMediaType(contentType ?? '');
      const bk = bodyKind(info, ri.subresource);
      const warnings = fieldValidation(info, query, body, deps.extensions, bk.kind, bk.group, bk.version);
      const outcome = await rest.patch(info, namespace, name, ri.subresource, type, body.value, ctx);
      writeObject(res, outcome.code, info, outcome.object, format, query, now, warningHeaders(warnings));
      return;
    }
    case 'delete': {
      allowed('delete');
      const raw = await readBody(req);
      const body = raw.length === 0 ? undefined : decodeBody(req.headers['content-type'], raw, deps.extensions).value;
      const outcome = await rest.delete(info, namespace, name, body, ctx);
      writeObject(res, outcome.code, info, outcome.response, format, query, now);
      return;
    }
    case 'deletecollection': {
      allowed('deletecollection');
      const raw = await readBody(req);
      const body = raw.length === 0 ? undefined : decodeBody(req.headers['content-type'], raw, deps.extensions).value;
      const list = await rest.deleteCollection(info, namespace, body, ctx);
      writeValue(res, 200, list, format.kind === 'yaml' ? format : { kind: 'json', pretty });
      return;
    }
    default:
      throw methodNotAllowed();
  }
}

async function readDecoded(req: Request, ext: Extensions): Promise<DecodedBody> {
  const raw = await readBody(req);
  return decodeBody(req.headers['content-type'], raw, ext);
}

function isStatus(object: KubeObject): boolean {
  return object.kind === 'Status' && object.apiVersion === 'v1';
}

function writeObject(res: Response, code: number, info: ResourceInfo, object: KubeObject, format: OutputFormat, query: URLSearchParams, now: Date, headers: Record<string, string | string[]> = {}): void {
  if (format.kind === 'table' && !isStatus(object) && object.kind === info.kind) {
    const include = parseIncludeObject(query.get('includeObject'));
    const table = toTable(info, [object], { resourceVersion: object.metadata?.resourceVersion ?? '' }, { version: format.version, includeObject: include, withColumns: true, now });
    writeValue(res, code, table, format, headers);
    return;
  }
  if (format.kind === 'partial' && !isStatus(object)) {
    writeValue(res, code, partialObject(object, format.version), format, headers);
    return;
  }
  writeValue(res, code, object, format.kind === 'table' || format.kind === 'partial' ? { kind: 'json', pretty: false } : format, headers);
}

function writeList(res: Response, info: ResourceInfo, result: ListResult, format: OutputFormat, query: URLSearchParams, now: Date): void {
  const meta = listMeta(result);
  if (format.kind === 'table') {
    const include: IncludeObject = parseIncludeObject(query.get('includeObject'));
    const table = toTable(info, result.items.map((i) => i.object), meta, { version: format.version, includeObject: include, withColumns: query.get('noHeaders') !== 'true', now });
    writeValue(res, 200, table, format);
    return;
  }
  if (format.kind === 'partial') {
    const list = { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${format.version}`, metadata: meta, items: result.items.map((i) => partialObject(i.object, format.version)) };
    writeValue(res, 200, list, format);
    return;
  }
  // Assemble the list from each object's cached JSON: the hot path of LIST.
  const head = `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(info))},"metadata":${JSON.stringify(meta)},"items":[`;
  const json = head + result.items.map((i) => i.json).join(',') + ']}';
  writeJsonText(res, 200, json, format);
}

async function serveWatch(deps: ResourceDeps, info: ResourceInfo, namespace: string, name: string, req: Request, res: Response, format: OutputFormat, query: URLSearchParams, now: Date): Promise<void> {
  const conv = deps.rest.converter(info);
  const storage = conv?.storage ?? info;
  const base = listQuery(storage, query);
  let fields = base.fields;
  if (name !== '') {
    // A watch on one object is a watch of the collection narrowed to its name.
    const sel = query.get('fieldSelector');
    fields = parseFieldSelector([sel, `metadata.name=${name.replace(/[\\,=]/g, (c) => `\\${c}`)}`].filter(Boolean).join(','), storage);
  }
  const timeoutText = query.get('timeoutSeconds');
  const timeoutSeconds = timeoutText === null ? undefined : Number(timeoutText);
  if (timeoutSeconds !== undefined && !Number.isFinite(timeoutSeconds)) throw badRequest(`timeoutSeconds: Invalid value: "${timeoutText}": must be a number`);
  const include = format.kind === 'table' ? parseIncludeObject(query.get('includeObject')) : 'Metadata';
  const contentType =
    format.kind === 'table' ? `application/json;as=Table;v=${format.version};g=meta.k8s.io` : format.kind === 'yaml' ? 'application/yaml' : 'application/json';
  let first = true;
  let open = true;
  const write = (text: string): void => {
    if (!open) return;
    (res as { write(chunk: string): boolean }).write(text);
  };
  let headersOut = false;
  const sendHeaders = (): void => {
    if (headersOut) return;
    headersOut = true;
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'X-Content-Type-Options': 'nosniff' });
    // Flush at once: kubectl wait blocks until it sees the response headers.
    (res as { flushHeaders?: () => void }).flushHeaders?.();
  };
  const encode = (type: WatchType, stored: CachedObject | KubeObject): string => {
    const object = conv && type !== 'BOOKMARK' ? conv.fromStorage(stored instanceof CachedObject ? stored.object : stored) : stored;
    if (format.kind === 'table' && type !== 'BOOKMARK') {
      const o = object instanceof CachedObject ? object.object : object;
      const table = toTable(info, [o], { resourceVersion: o.metadata?.resourceVersion ?? '' }, { version: format.version, includeObject: include, withColumns: first, now: new Date() });
      first = false;
      return `{"type":"${type}","object":${JSON.stringify(table)}}\n`;
    }
    if (format.kind === 'partial' && type !== 'BOOKMARK') {
      const o = object instanceof CachedObject ? object.object : object;
      return `{"type":"${type}","object":${JSON.stringify(partialObject(o, format.version))}}\n`;
    }
    const json = object instanceof CachedObject ? object.json : JSON.stringify(object);
    return `{"type":"${type}","object":${json}}\n`;
  };
  void now;
  const stop: { cancel?: () => void } = {};
  const close = (): void => {
    open = false;
    stop.cancel?.();
  };
  req.on('close', close);
  res.on('close', close);
  stop.cancel = await startWatch(
    deps.cache,
    storage,
    namespace,
    {
      query: { labels: base.labels, fields },
      resourceVersion: query.get('resourceVersion') ?? '',
      ...(query.get('resourceVersionMatch') ? { resourceVersionMatch: query.get('resourceVersionMatch')! } : {}),
      allowBookmarks: isTrue(query.get('allowWatchBookmarks')),
      ...(query.get('sendInitialEvents') !== null ? { sendInitialEvents: isTrue(query.get('sendInitialEvents')) } : {}),
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    },
    {
      send: (type, object) => {
        sendHeaders();
        write(encode(type, object));
      },
      end: () => {
        sendHeaders();
        open = false;
        res.end();
      },
    },
  );
  if (!open) stop.cancel();
  sendHeaders();
}
