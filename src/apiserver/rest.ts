/**
 * The REST verbs of resources, independent of transport: the HTTP handler and the loopback client
 * both call these with decoded objects and a user, after authorization. Query options (dryRun,
 * fieldManager, force, propagationPolicy, ...) are read here so both paths agree on them.
 */
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject, ResourceInfo } from '../api/types.js';
import type { DeleteOptions, PatchType } from '../client/types.js';
import { converterFor, type VersionConverter } from './conversion.js';
import { badRequest, groupResource, methodNotAllowed, notFound, pathNotFound, StatusError, success } from './errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, defaultFieldManager, NO_PATCH_META, PatchError, type JsonObject } from './patch/index.js';
import { CachedObject } from './watch-cache.js';
import type { ListQuery, ListResult } from './registry/list.js';
import type { DeleteResult, Registry, WriteContext } from './registry/store.js';
import { parseFieldSelector } from './selectors/fields.js';
import { parseLabelSelector, SelectorError } from './selectors/labels.js';
import { subresourceHandler, type SubresourceHandlers } from './subresources/index.js';
import type { Authenticate, Authorize, Extensions, UserInfo, VirtualResource } from './types.js';

export interface RestContext {
  readonly user: UserInfo;
  readonly query: URLSearchParams;
  readonly userAgent?: string;
}

export interface RestDeps {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly extensions: Extensions;
  readonly authorize: Authorize;
  readonly authenticate?: Authenticate;
}

export interface CreateOutcome {
  readonly object: KubeObject;
  /** 201 for a stored object, 200 for reviews answered without storage and dry runs too. */
  readonly code: number;
}

function dryRunOf(query: URLSearchParams, body?: { dryRun?: unknown }): boolean {
  const values = [...query.getAll('dryRun'), ...(Array.isArray(body?.dryRun) ? (body.dryRun as unknown[]).map(String) : [])];
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

export function writeContext(ctx: RestContext, body?: { dryRun?: unknown }): WriteContext {
  const manager = ctx.query.get('fieldManager');
  if (manager !== null && manager.length > 128) throw badRequest('fieldManager: Too long: may not be more than 128 bytes');
  return { user: ctx.user, dryRun: dryRunOf(ctx.query, body), fieldManager: manager ?? defaultFieldManager(ctx.userAgent) };
}

export function listQuery(info: ResourceInfo, query: URLSearchParams): ListQuery {
  try {
    const limitText = query.get('limit');
    const limit = limitText === null || limitText === '' ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw badRequest(`limit: Invalid value: "${limitText}": must be a non-negative integer`);
    const q: ListQuery = {
      labels: parseLabelSelector(query.get('labelSelector')),
      fields: parseFieldSelector(query.get('fieldSelector'), info),
      ...(limit !== undefined ? { limit } : {}),
      ...(query.get('continue') ? { continue: query.get('continue')! } : {}),
      ...(query.get('resourceVersion') !== null ? { resourceVersion: query.get('resourceVersion')! } : {}),
      ...(query.get('resourceVersionMatch') ? { resourceVersionMatch: query.get('resourceVersionMatch')! } : {}),
    };
    return q;
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}

/** DeleteOptions from the body (kubectl) and the query (curl, client-go's older paths). */
export function deleteOptions(query: URLSearchParams, body: unknown): DeleteOptions & { orphanDependents?: boolean; dryRunAll: boolean } {
  const b = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  if (b['kind'] !== undefined && b['kind'] !== 'DeleteOptions') throw badRequest(`the body of a delete must be DeleteOptions, got kind "${String(b['kind'])}"`);
  const graceText = query.get('gracePeriodSeconds');
  const grace = typeof b['gracePeriodSeconds'] === 'number' ? b['gracePeriodSeconds'] : graceText !== null ? Number(graceText) : undefined;
  if (grace !== undefined && !Number.isInteger(grace)) throw badRequest(`gracePeriodSeconds: Invalid value: "${String(grace)}": must be an integer`);
  const policy = (b['propagationPolicy'] as string | undefined) ?? query.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
    throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const orphanText = query.get('orphanDependents');
  const orphan = typeof b['orphanDependents'] === 'boolean' ? b['orphanDependents'] : orphanText !== null ? orphanText === 'true' : undefined;
  if (orphan !== undefined && policy !== undefined) throw badRequest('orphanDependents: Invalid value: the orphanDependents field and the propagationPolicy field are mutually exclusive');
  const pre = (b['preconditions'] ?? {}) as { uid?: unknown; resourceVersion?: unknown };
  const preconditions = {
    ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
    ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
  };
  return {
    ...(grace !== undefined ? { gracePeriodSeconds: Math.max(0, grace) } : {}),
    ...(policy !== undefined ? { propagationPolicy: policy } : {}),
    ...(orphan !== undefined ? { orphanDependents: orphan } : {}),
    ...(Object.keys(preconditions).length > 0 ? { preconditions } : {}),
    dryRunAll: dryRunOf(query, b as { dryRun?: unknown }),
  };
}

/** A body must be an object of the endpoint's kind and version before it is converted. */
function checkObject(info: ResourceInfo, body: unknown): KubeObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`the body of the request must be a JSON or YAML object of kind ${info.kind}`);
  const object = structuredClone(body) as KubeObject;
  const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  object.apiVersion ??= apiVersion;
  object.kind ??= info.kind;
  if (object.kind !== info.kind) throw badRequest(`the object provided is unrecognized (must be of type ${info.kind}): kind "${String(object.kind)}"`);
  if (object.apiVersion !== apiVersion) throw badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion})`);
  return object;
}

export class Rest {
  readonly #deps: RestDeps;
  readonly #subresources: SubresourceHandlers;

  constructor(deps: RestDeps) {
    this.#deps = deps;
    this.#subresources = subresourceHandler(deps);
  }

  get registry(): Registry {
    return this.#deps.registry;
  }

  /** How objects of `info` are stored, when that is another version (events.k8s.io/v1 Events). */
  converter(info: ResourceInfo): VersionConverter | undefined {
    return converterFor(info, this.#deps.catalogue);
  }

  #stored(info: ResourceInfo): void {
    if (!info.storageResource) throw methodNotAllowed();
  }

  #virtual(info: ResourceInfo): VirtualResource | undefined {
    return info.storageResource ? undefined : this.#deps.extensions.virtualResources?.[`${info.group}/${info.resource}`];
  }

  async get(info: ResourceInfo, namespace: string, name: string, subresource: string, ctx: RestContext): Promise<KubeObject> {
    const virtual = this.#virtual(info);
    if (virtual && subresource === '') {
      const found = (await virtual.list(namespace)).find((o) => o.metadata?.name === name);
      if (!found) throw notFound(groupResource(info), name);
      return found;
    }
    if (subresource === '' || subresource === 'status') {
      this.#stored(info);
      const conv = this.converter(info);
      if (conv) return conv.fromStorage(await this.#deps.registry.get(conv.storage, namespace, name));
      return this.#deps.registry.get(info, namespace, name);
    }
    return this.#subresources.get(info, namespace, name, subresource, ctx);
  }

  async list(info: ResourceInfo, namespace: string, ctx: RestContext): Promise<ListResult> {
    const virtual = this.#virtual(info);
    if (virtual) {
      const selector = parseLabelSelector(ctx.query.get('labelSelector'));
      const items = (await virtual.list(namespace)).filter((o) => selector.matches(o.metadata?.labels as Record<string, string> | undefined));
      const revision = this.#deps.registry.cache.revision;
      return { items: items.map((o) => new CachedObject(`${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`, o, revision)), resourceVersion: String(revision) };
    }
    this.#stored(info);
    const conv = this.converter(info);
    if (conv) {
      const result = await this.#deps.registry.list(conv.storage, namespace, listQuery(conv.storage, ctx.query));
      return { ...result, items: result.items.map((i) => new CachedObject(i.key, conv.fromStorage(i.object), i.revision)) };
    }
    return this.#deps.registry.list(info, namespace, listQuery(info, ctx.query));
  }

  async create(info: ResourceInfo, namespace: string, name: string, subresource: string, body: unknown, ctx: RestContext): Promise<CreateOutcome> {
    if (name !== '' || subresource !== '') return this.#subresources.create(info, namespace, name, subresource, body, ctx);
    if (!info.storageResource) return this.#subresources.review(info, namespace, body, ctx);
    const conv = this.converter(info);
    if (conv) {
      const stored = await this.#deps.registry.create(conv.storage, namespace, conv.toStorage(checkObject(info, body)), writeContext(ctx, undefined));
      return { object: conv.fromStorage(stored), code: 201 };
    }
    const object = await this.#deps.registry.create(info, namespace, body, writeContext(ctx, undefined));
    return { object, code: 201 };
  }

  async update(info: ResourceInfo, namespace: string, name: string, subresource: string, body: unknown, ctx: RestContext): Promise<CreateOutcome> {
    if (subresource !== '' && subresource !== 'status' && subresource !== 'finalize') return this.#subresources.update(info, namespace, name, subresource, body, ctx);
    this.#stored(info);
    const conv = this.converter(info);
    if (conv) {
      const result = await this.#deps.registry.update(conv.storage, namespace, name, conv.toStorage(checkObject(info, body)), writeContext(ctx), subresource);
      return { object: conv.fromStorage(result.object), code: result.created ? 201 : 200 };
    }
    const result = await this.#deps.registry.update(info, namespace, name, body, writeContext(ctx), subresource);
    return { object: result.object, code: result.created ? 201 : 200 };
  }

  async patch(info: ResourceInfo, namespace: string, name: string, subresource: string, type: PatchType, patch: unknown, ctx: RestContext): Promise<CreateOutcome> {
    if (subresource !== '' && subresource !== 'status') return this.#subresources.patch(info, namespace, name, subresource, type, patch, ctx);
    this.#stored(info);
    const force = ctx.query.get('force');
    if (force !== null && type !== 'apply') throw badRequest('force: Forbidden: may not be specified for non-apply patch');
    const conv = this.converter(info);
    if (conv) return this.#patchConverted(conv, info, namespace, name, subresource, type, patch, ctx);
    const result = await this.#deps.registry.patch(info, namespace, name, type, patch, writeContext(ctx), {
      subresource,
      force: force === 'true',
    });
    return { object: result.object, code: result.created ? 201 : 200 };
  }

  /** A patch of a converted resource: applied to the external form, stored as an update. */
  async #patchConverted(conv: VersionConverter, info: ResourceInfo, namespace: string, name: string, subresource: string, type: PatchType, patch: unknown, ctx: RestContext): Promise<CreateOutcome> {
    if (type === 'apply') {
      throw new StatusError(415, 'UnsupportedMediaType', `server-side apply is not supported for ${info.group}/${info.version} ${info.kind}; apply the core v1 object instead`);
    }
    const current = conv.fromStorage(await this.#deps.registry.get(conv.storage, namespace, name));
    let patched: unknown;
    try {
      if (type === 'json') patched = applyJsonPatch(current as JsonObject, patch);
      else if (type === 'merge') patched = applyMergePatch(current as JsonObject, patch);
      else patched = applyStrategicMergePatch(current as JsonObject, patch, NO_PATCH_META);
    } catch (err) {
      if (err instanceof PatchError) throw badRequest(err.message);
      throw err;
    }
    const object = checkObject(info, patched);
    object.metadata = { ...(object.metadata ?? {}), name, resourceVersion: current.metadata?.resourceVersion ?? '' };
    const result = await this.#deps.registry.update(conv.storage, namespace, name, conv.toStorage(object), writeContext(ctx), subresource);
    return { object: conv.fromStorage(result.object), code: 200 };
  }

  async delete(info: ResourceInfo, namespace: string, name: string, body: unknown, ctx: RestContext): Promise<{ result: DeleteResult; code: number; response: KubeObject }> {
    this.#stored(info);
    const options = deleteOptions(ctx.query, body);
    const conv = this.converter(info);
    const result = await this.#deps.registry.delete(conv?.storage ?? info, namespace, name, options, { user: ctx.user, dryRun: options.dryRunAll });
    if (conv) return { result, code: 200, response: result.deleted ? (success(groupResource(info), name, result.object.metadata?.uid) as unknown as KubeObject) : conv.fromStorage(result.object) };
    if (!result.deleted) {
      const code = options.propagationPolicy === 'Orphan' || options.orphanDependents === true ? 200 : 202;
      return { result, code, response: result.object };
    }
    // Upstream answers pods (and a few others) with the deleted object, most kinds with a Status.
    const returnsObject = info.group === '' && (info.kind === 'Pod' || info.kind === 'Service' || info.kind === 'Namespace');
    const response = returnsObject ? result.object : (success(groupResource(info), name, result.object.metadata?.uid) as unknown as KubeObject);
    return { result, code: 200, response };
  }

  /** DELETE on a collection: each selected object deleted as by DELETE, answered as a list. */
  async deleteCollection(info: ResourceInfo, namespace: string, body: unknown, ctx: RestContext): Promise<KubeObject> {
    this.#stored(info);
    if (!info.verbs.includes('deletecollection')) throw methodNotAllowed();
    const options = deleteOptions(ctx.query, body);
    const conv = this.converter(info);
    const stored = conv?.storage ?? info;
    const listed = await this.#deps.registry.list(stored, namespace, { ...listQuery(stored, ctx.query), resourceVersion: '' });
    const items: KubeObject[] = [];
    for (const entry of listed.items) {
      const meta = entry.object.metadata ?? {};
      try {
        const result = await this.#deps.registry.delete(stored, meta.namespace ?? '', meta.name ?? '', options, { user: ctx.user, dryRun: options.dryRunAll });
        items.push(conv ? conv.fromStorage(result.object) : result.object);
      } catch (err) {
        if ((err as { code?: number }).code === 404) continue;
        throw err;
      }
    }
    return {
      apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
      kind: info.listKind,
      metadata: { resourceVersion: listed.resourceVersion },
      items,
    } as KubeObject;
  }

  /** Resolves a resource of a request, or 404 as upstream for an unknown one. */
  resolve(group: string, version: string, resource: string): ResourceInfo {
    const info = this.#deps.catalogue.lookup(group, version, resource);
    if (!info || info.resource !== resource) throw pathNotFound();
    return info;
  }
}
