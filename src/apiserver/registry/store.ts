/**
 * The registry: create, get, update, patch and delete of any cataloguee kind over the Backend,
 * with upstream's object semantics (system fields, generation, status vs main resource,
 * optimistic concurrency, finalizers and deletionTimestamp, dry-run, managedFields). Reads of
 * collections go through the watch cache (list.ts); single-object reads and every write go to the
 * datastore so they are always current.
 */
import type { FieldError, KubeObject, PatchMeta, ResourceInfo } from '../../api/types.js';
import type { Backend } from '../../datastore/types.js';
import { KeyExistsError, MAX_VALUE_BYTES, TooLargeError } from '../../datastore/types.js';
import type { DeleteOptions, PatchType } from '../../client/types.js';
import {
  alreadyExists,
  badRequest,
  tooLarge,
  conflict,
  forbidden,
  groupResource,
  invalid,
  notFound,
  StatusError,
} from '../errors.js';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  ApplyConflictError,
  NO_PATCH_META,
  PatchError,
  recordUpdate,
  serverSideApply,
  type JsonObject,
  type JsonValue,
} from '../patch/index.js';
import type { Extensions, UserInfo } from '../types.js';
import type { WatchCache } from '../watch-cache.js';
import type { AdmissionPlugin } from './admission.js';
import { decodeObject, encodeObject } from './codec.js';
import { objectKey } from './keys.js';
import { listObjects, type ListQuery, type ListResult } from './list.js';
import { TtlLeases } from './ttl-leases.js';
import { apiVersionOf, baseMetaErrors, checkKind, generateName, metaTime, newUid, specChanged } from './object-meta.js';

export interface WriteContext {
  readonly user: UserInfo;
  readonly dryRun: boolean;
  readonly fieldManager: string;
}

export interface RegistryOptions {
  readonly backend: Backend;
  readonly cache: WatchCache;
  readonly extensions: Extensions;
  readonly admission?: readonly AdmissionPlugin[];
  readonly now?: () => Date;
  /** How long events live after their last write (upstream --event-ttl); 0 keeps them. Default 3600. */
  readonly eventTtlSeconds?: number;
}

export interface WriteResult {
  readonly object: KubeObject;
  /** True when the write created the object (PUT/apply on a missing object). */
  readonly created: boolean;
}

export interface DeleteResult {
  /** The object as deleted, or as it stays while finalizers or a grace period hold it. */
  readonly object: KubeObject;
  /** False when deletion was only started (deletionTimestamp set). */
  readonly deleted: boolean;
}

const MAX_RETRIES = 8;

/**
 * Namespaces the cluster itself relies on: never deleted (upstream's NamespaceLifecycle immortal
 * set). Not all of bootstrap's SYSTEM_NAMESPACES: upstream lets kube-node-lease be deleted.
 */
const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public']);

/** Kinds whose status is set by the server on create (upstream's PrepareForCreate). */
function initialStatus(info: ResourceInfo, object: KubeObject): unknown {
  if (info.group === '' && info.kind === 'Pod') return { phase: 'Pending', qosClass: qosClass(object) };
  if (info.group === '' && (info.kind === 'PersistentVolume' || info.kind === 'PersistentVolumeClaim')) return { phase: 'Pending' };
  if (info.group === '' && info.kind === 'Service') return { loadBalancer: {} };
  return {};
}

function qosClass(pod: KubeObject): string {
  const spec = (pod['spec'] ?? {}) as { containers?: { resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }[] };
  const containers = spec.containers ?? [];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Kinds the status subresource is the only writer of status for (node status is set at create). */
function keepsStatusOnCreate(info: ResourceInfo): boolean {
  return info.group === '' && (info.kind === 'Node' || info.kind === 'Namespace' || info.kind === 'Event');
}

export class Registry {
  readonly #backend: Backend;
  readonly #cache: WatchCache;
  readonly #ext: Extensions;
  readonly #admission: readonly AdmissionPlugin[];
  readonly #now: () => Date;
  readonly #ttl: TtlLeases;

  constructor(options: RegistryOptions) {
    this.#backend = options.backend;
    this.#cache = options.cache;
    this.#ext = options.extensions;
    this.#admission = options.admission ?? [];
    this.#now = options.now ?? (() => new Date());
    this.#ttl = new TtlLeases(options.backend, options.eventTtlSeconds ?? 3600);
  }

  get cache(): WatchCache {
    return this.#cache;
  }

  get backend(): Backend {
    return this.#backend;
  }

  patchMeta(info: ResourceInfo): PatchMeta {
    return this.#ext.patchMeta?.({ group: info.group, version: info.version, kind: info.kind }) ?? NO_PATCH_META;
  }

  async get(info: ResourceInfo, namespace: string, name: string): Promise<KubeObject> {
    const { kv } = await this.#backend.get(objectKey(info, namespace, name));
    if (!kv) throw notFound(groupResource(info), name);
    return decodeObject(kv.value, kv.modRevision);
  }

  /** The stored object or undefined (no 404). */
  async find(info: ResourceInfo, namespace: string, name: string): Promise<{ object: KubeObject; revision: number } | undefined> {
    const { kv } = await this.#backend.get(objectKey(info, namespace, name));
    return kv ? { object: decodeObject(kv.value, kv.modRevision), revision: kv.modRevision } : undefined;
  }

  list(info: ResourceInfo, namespace: string, query: ListQuery): Promise<ListResult> {
    return listObjects(this.#backend, this.#cache, info, namespace, query);
  }

  // ---- create ---------------------------------------------------------------------------------

  async create(info: ResourceInfo, namespace: string, body: unknown, ctx: WriteContext): Promise<KubeObject> {
    const object = checkKind(info, body);
    const meta = object.metadata!;
    this.#placeNamespace(info, namespace, object);
    if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
      meta.name = generateName(meta.generateName);
    }
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    delete meta.resourceVersion;
    if (info.namespaced && typeof meta.namespace === 'string' && meta.namespace !== '') await this.#checkNamespaceOpen(meta.namespace);

    const now = this.#now();
    meta.uid = newUid();
    meta.creationTimestamp = metaTime(now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (info.bumpsGeneration) meta.generation = 1;
    else delete meta.generation;
    if (info.hasStatus && !keepsStatusOnCreate(info)) object['status'] = initialStatus(info, object);

    info.defaults?.(object);
    await this.#admit('CREATE', info, namespace, object, undefined, '', ctx);
    this.#validate(info, object, undefined);
    if (!isSystemManagedKind(info)) {
      recordUpdate({ old: undefined, updated: object as JsonObject, manager: ctx.fieldManager, apiVersion: apiVersionOf(info), meta: this.patchMeta(info), now });
    }
    if (ctx.dryRun) return object;

    const key = objectKey(info, namespace, meta.name!);
    try {
      const { revision } = await this.#createKey(info, key, encodeObject(object));
      meta.resourceVersion = String(revision);
    } catch (err) {
      if (err instanceof KeyExistsError) throw alreadyExists(groupResource(info), meta.name!);
      throw storageError(err);
    }
    return object;
  }

  /** Creates the key, with a TTL lease for kinds that expire (events). */
  #createKey(info: ResourceInfo, key: string, value: Uint8Array): Promise<{ revision: number }> {
    return this.#ttl.applies(info) ? this.#ttl.write((lease) => this.#backend.create(key, value, lease)) : this.#backend.create(key, value);
  }

  #placeNamespace(info: ResourceInfo, namespace: string, object: KubeObject): void {
    const meta = object.metadata!;
    if (!info.namespaced) {
      delete meta.namespace;
      return;
    }
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = namespace;
  }

  async #checkNamespaceOpen(namespace: string): Promise<void> {
    const { kv } = await this.#backend.get(`/registry/namespaces/${namespace}`);
    if (!kv) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    const ns = decodeObject(kv.value, kv.modRevision);
    if (ns.metadata?.deletionTimestamp || (ns['status'] as { phase?: string } | undefined)?.phase === 'Terminating') {
      throw new StatusError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: namespace,
        kind: 'namespaces',
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  async #admit(operation: 'CREATE' | 'UPDATE', info: ResourceInfo, namespace: string, object: KubeObject, old: KubeObject | undefined, subresource: string, ctx: WriteContext): Promise<void> {
    for (const plugin of this.#admission) {
      await plugin.admit({ operation, info, namespace, object, old, subresource, dryRun: ctx.dryRun, user: ctx.user });
    }
  }

  #validate(info: ResourceInfo, object: KubeObject, old: KubeObject | undefined): void {
    const errors: FieldError[] = [...baseMetaErrors(info, object)];
    if (errors.length === 0) {
      if (this.#ext.validateObjectMeta) errors.push(...this.#ext.validateObjectMeta(info, object, old));
      if (info.validate) errors.push(...info.validate(object, old));
    }
    if (old) errors.push(...immutableMetaErrors(object, old));
    if (errors.length > 0) throw invalid(info.group, info.kind, object.metadata?.name ?? '', dedupe(errors));
  }

  // ---- update and patch -----------------------------------------------------------------------

  /** PUT: replace the object (or only its status, or the namespace finalizers). */
  async update(info: ResourceInfo, namespace: string, name: string, body: unknown, ctx: WriteContext, subresource = ''): Promise<WriteResult> {
    const incoming = checkKind(info, body);
    const meta = incoming.metadata!;
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    meta.name = name;
    this.#placeNamespace(info, namespace, incoming);
    const precondition = meta.resourceVersion !== undefined && meta.resourceVersion !== '' ? meta.resourceVersion : undefined;
    return this.#guaranteedUpdate(info, namespace, name, ctx, subresource, precondition, (old) => {
      if (!old) throw notFound(groupResource(info), name);
      return structuredClone(incoming);
    });
  }

  async patch(
    info: ResourceInfo,
    namespace: string,
    name: string,
    type: PatchType,
    patch: unknown,
    ctx: WriteContext,
    options: { subresource?: string; force?: boolean } = {},
  ): Promise<WriteResult> {
    const subresource = options.subresource ?? '';
    const meta = this.patchMeta(info);
    if (type === 'apply') return this.#apply(info, namespace, name, patch, ctx, subresource, options.force === true);
    return this.#guaranteedUpdate(info, namespace, name, ctx, subresource, patchPrecondition(type, patch), (old) => {
      if (!old) throw notFound(groupResource(info), name);
      const base = structuredClone(old) as JsonObject;
      let patched: JsonValue;
      try {
        if (type === 'json') patched = applyJsonPatch(base, patch);
        else if (type === 'merge') patched = applyMergePatch(base, patch);
        else patched = applyStrategicMergePatch(base, patch, meta);
      } catch (err) {
        throw patchFailure(err, info, name);
      }
      if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw badRequest('the patched object must be a JSON object');
      const object = checkKind(info, patched);
      if (object.metadata?.name !== name) throw badRequest(`the name of the object (${String(object.metadata?.name)}) does not match the name on the URL (${name})`);
      return object;
    });
  }

  async #apply(info: ResourceInfo, namespace: string, name: string, patch: unknown, ctx: WriteContext, subresource: string, force: boolean): Promise<WriteResult> {
    if (!ctx.fieldManager) {
      throw invalid('meta.k8s.io', 'PatchOptions', '', [{ field: 'fieldManager', reason: 'FieldValueRequired', message: 'Required value: is required for apply patch' }]);
    }
    const applied = checkKind(info, patch);
    if (applied.metadata?.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (info.namespaced && applied.metadata?.namespace !== undefined && applied.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const precondition = typeof applied.metadata?.resourceVersion === 'string' && applied.metadata.resourceVersion !== '' ? applied.metadata.resourceVersion : undefined;
    if (precondition !== undefined) delete applied.metadata!.resourceVersion;
    return this.#guaranteedUpdate(info, namespace, name, ctx, subresource, precondition, (old) => {
      const live = old ? (structuredClone(old) as JsonObject) : undefined;
      let merged: JsonObject;
      try {
        merged = serverSideApply({
          live,
          applied: applied as JsonObject,
          manager: ctx.fieldManager,
          force,
          apiVersion: apiVersionOf(info),
          meta: this.patchMeta(info),
          now: this.#now(),
          ...(subresource ? { subresource } : {}),
        });
      } catch (err) {
        if (err instanceof ApplyConflictError) {
          throw new StatusError(409, 'Conflict', err.message, {
            name,
            ...(info.group ? { group: info.group } : {}),
            kind: info.resource,
            causes: err.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.field })),
          });
        }
        throw patchFailure(err, info, name);
      }
      const object = checkKind(info, merged);
      object.metadata!.name = name;
      return object;
    }, true);
  }

  /**
   * Read-modify-write with optimistic concurrency: `mutate` gets the current object (undefined if
   * missing; then `mayCreate` decides) and returns the new one. Retries on a lost race unless the
   * caller named a resourceVersion, which then must match (409 Conflict).
   */
  async #guaranteedUpdate(
    info: ResourceInfo,
    namespace: string,
    name: string,
    ctx: WriteContext,
    subresource: string,
    precondition: string | undefined,
    mutate: (old: KubeObject | undefined) => KubeObject,
    mayCreate = false,
  ): Promise<WriteResult> {
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.#backend.get(key);
      const old = kv ? decodeObject(kv.value, kv.modRevision) : undefined;
      if (!old && !mayCreate) throw notFound(groupResource(info), name);
      if (old && precondition !== undefined && precondition !== old.metadata?.resourceVersion) {
        throw conflict(groupResource(info), name);
      }
      const incoming = mutate(old);
      if (!old) {
        if (subresource) throw notFound(groupResource(info), name);
        // Create-on-apply: the applied object becomes a new one (managedFields already recorded).
        const created = await this.#createApplied(info, namespace, incoming, ctx);
        return { object: created, created: true };
      }
      const object = await this.#prepareUpdate(info, namespace, old, incoming, ctx, subresource, !mayCreate);
      if (ctx.dryRun) return { object, created: false };
      const unchanged = JSON.stringify(encodeComparable(object)) === JSON.stringify(encodeComparable(old));
      if (unchanged) return { object: old, created: false };
      const finalizing = object.metadata?.deletionTimestamp !== undefined && (object.metadata.finalizers ?? []).length === 0 && namespaceFinalizers(info, object).length === 0;
      if (finalizing) {
        const result = await this.#backend.delete(key, kv!.modRevision);
        if (result.succeeded) {
          object.metadata!.resourceVersion = String(result.revision);
          return { object, created: false };
        }
      } else {
        const value = encodeObject(object);
        const write = (lease?: number): ReturnType<Backend['update']> => this.#backend.update(key, value, kv!.modRevision, lease);
        const result = await (this.#ttl.applies(info) ? this.#ttl.write(write) : write()).catch((err: unknown) => {
          throw storageError(err);
        });
        if (result.succeeded) {
          object.metadata!.resourceVersion = String(result.revision);
          return { object, created: false };
        }
      }
      if (precondition !== undefined || attempt >= MAX_RETRIES) throw conflict(groupResource(info), name);
    }
  }

  async #createApplied(info: ResourceInfo, namespace: string, object: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const meta = object.metadata!;
    this.#placeNamespace(info, namespace, object);
    if (info.namespaced) await this.#checkNamespaceOpen(namespace);
    const now = this.#now();
    meta.uid = newUid();
    meta.creationTimestamp = metaTime(now);
    if (info.bumpsGeneration) meta.generation = 1;
    if (info.hasStatus && !keepsStatusOnCreate(info)) object['status'] = initialStatus(info, object);
    info.defaults?.(object);
    await this.#admit('CREATE', info, namespace, object, undefined, '', ctx);
    this.#validate(info, object, undefined);
    if (ctx.dryRun) return object;
    try {
      const { revision } = await this.#createKey(info, objectKey(info, namespace, meta.name!), encodeObject(object));
      meta.resourceVersion = String(revision);
    } catch (err) {
      if (err instanceof KeyExistsError) throw conflict(groupResource(info), meta.name!);
      throw storageError(err);
    }
    return object;
  }

  /** The object to store for an update of `old` with `incoming` (system fields kept, status rules). */
  async #prepareUpdate(
    info: ResourceInfo,
    namespace: string,
    old: KubeObject,
    incoming: KubeObject,
    ctx: WriteContext,
    subresource: string,
    recordManager: boolean,
  ): Promise<KubeObject> {
    const oldMeta = old.metadata ?? {};
    let object: KubeObject;
    if (subresource === 'status') {
      object = { ...structuredClone(old), status: structuredClone(incoming['status'] ?? {}) };
    } else if (subresource === 'finalize') {
      const spec = { ...((old['spec'] as object | undefined) ?? {}), finalizers: ((incoming['spec'] as { finalizers?: unknown } | undefined)?.finalizers ?? []) };
      object = { ...structuredClone(old), spec };
    } else {
      object = incoming;
      if (info.hasStatus && !keepsStatusOnCreate(info)) {
        if (old['status'] !== undefined) object['status'] = structuredClone(old['status']);
        else delete object['status'];
      }
    }
    const meta = (object.metadata ??= {});
    if (meta.uid === undefined || meta.uid === '') meta.uid = oldMeta.uid!;
    meta.creationTimestamp = oldMeta.creationTimestamp!;
    if (oldMeta.deletionTimestamp !== undefined) meta.deletionTimestamp = oldMeta.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (oldMeta.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    if (info.bumpsGeneration) {
      const generation = typeof oldMeta.generation === 'number' ? oldMeta.generation : 1;
      meta.generation = subresource === '' && specChanged(old, object) ? generation + 1 : generation;
    } else if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
    else delete meta.generation;

    if (subresource === '') info.defaults?.(object);
    await this.#admit('UPDATE', info, namespace, object, old, subresource, ctx);
    this.#validate(info, object, old);
    if (recordManager && !isSystemManagedKind(info) && subresource !== 'finalize') {
      const oldForRecord = structuredClone(old);
      delete oldForRecord.metadata!.resourceVersion;
      recordUpdate({
        old: oldForRecord as JsonObject,
        updated: object as JsonObject,
        manager: ctx.fieldManager,
        apiVersion: apiVersionOf(info),
        meta: this.patchMeta(info),
        now: this.#now(),
        ...(subresource ? { subresource } : {}),
      });
    }
    return object;
  }

  /**
   * A system write that bypasses the update strategy (binding writes spec.nodeName, which pod
   * validation would call immutable): `mutate` gets a copy of the current object and changes it;
   * retried on a lost race.
   */
  async mutateStored(info: ResourceInfo, namespace: string, name: string, mutate: (object: KubeObject) => void, dryRun = false): Promise<KubeObject> {
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
      const { kv } = await this.#backend.get(key);
      if (!kv) throw notFound(groupResource(info), name);
      const object = decodeObject(kv.value, kv.modRevision);
      mutate(object);
      if (dryRun) return object;
      delete object.metadata!.resourceVersion;
      const result = await this.#backend.update(key, encodeObject(object), kv.modRevision);
      if (result.succeeded) {
        object.metadata!.resourceVersion = String(result.revision);
        return object;
      }
    }
    throw conflict(groupResource(info), name);
  }

  // ---- delete ---------------------------------------------------------------------------------

  async delete(info: ResourceInfo, namespace: string, name: string, options: DeleteOptions & { orphanDependents?: boolean }, ctx: Pick<WriteContext, 'dryRun' | 'user'>): Promise<DeleteResult> {
    // Refused before the object is read, as upstream's admission does (also for a dry run).
    if (info.group === '' && info.kind === 'Namespace' && IMMORTAL_NAMESPACES.has(name)) throw forbidden(groupResource(info), name, 'this namespace may not be deleted');
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.#backend.get(key);
      if (!kv) throw notFound(groupResource(info), name);
      const old = decodeObject(kv.value, kv.modRevision);
      const oldMeta = old.metadata ?? {};
      const pre = options.preconditions;
      if (pre?.uid !== undefined && pre.uid !== oldMeta.uid) {
        throw conflict(groupResource(info), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${oldMeta.uid ?? ''}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== oldMeta.resourceVersion) {
        throw conflict(groupResource(info), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${oldMeta.resourceVersion ?? ''}`);
      }
      const policy = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : undefined);
      const finalizers = [...(oldMeta.finalizers ?? [])];
      const setFinalizer = (f: string, on: boolean): void => {
        const i = finalizers.indexOf(f);
        if (on && i < 0) finalizers.push(f);
        if (!on && i >= 0) finalizers.splice(i, 1);
      };
      if (policy === 'Orphan') {
        setFinalizer('orphan', true);
        setFinalizer('foregroundDeletion', false);
      } else if (policy === 'Foreground') {
        setFinalizer('foregroundDeletion', true);
        setFinalizer('orphan', false);
      } else if (policy === 'Background') {
        setFinalizer('orphan', false);
        setFinalizer('foregroundDeletion', false);
      }
      const now = this.#now();
      const grace = this.#gracePeriod(info, old, options.gracePeriodSeconds);
      const alreadyDeleting = oldMeta.deletionTimestamp !== undefined;
      // A namespace with spec.finalizers (kubernetes) stays Terminating until the namespace
      // controller has emptied it and cleared them through the finalize subresource.
      const contentFinalizers = namespaceFinalizers(info, old);
      if (finalizers.length > 0 || contentFinalizers.length > 0 || grace > 0 || alreadyDeleting) {
        const object = structuredClone(old);
        const meta = object.metadata!;
        meta.finalizers = finalizers;
        if (finalizers.length === 0) delete meta.finalizers;
        if (!alreadyDeleting) {
          meta.deletionTimestamp = metaTime(new Date(now.getTime() + grace * 1000));
          meta.deletionGracePeriodSeconds = grace;
          if (meta.generation !== undefined && info.bumpsGeneration) meta.generation += 1;
        } else if (grace < (meta.deletionGracePeriodSeconds ?? Infinity)) {
          // A shorter grace period (e.g. --force) shortens a deletion in progress.
          meta.deletionTimestamp = metaTime(new Date(now.getTime() + grace * 1000));
          meta.deletionGracePeriodSeconds = grace;
        }
        if (info.group === '' && info.kind === 'Namespace') object['status'] = { ...((object['status'] as object | undefined) ?? {}), phase: 'Terminating' };
        const removeNow = finalizers.length === 0 && contentFinalizers.length === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0;
        if (!removeNow) {
          if (ctx.dryRun) return { object, deleted: false };
          if (JSON.stringify(encodeComparable(object)) === JSON.stringify(encodeComparable(old))) return { object: old, deleted: false };
          delete meta.resourceVersion;
          const result = await this.#backend.update(key, encodeObject(object), kv.modRevision);
          if (result.succeeded) {
            meta.resourceVersion = String(result.revision);
            return { object, deleted: false };
          }
          if (attempt >= MAX_RETRIES) throw conflict(groupResource(info), name);
          continue;
        }
      }
      if (ctx.dryRun) return { object: old, deleted: true };
      const result = await this.#backend.delete(key, kv.modRevision);
      if (result.succeeded) {
        old.metadata!.resourceVersion = String(result.revision);
        return { object: old, deleted: true };
      }
      if (attempt >= MAX_RETRIES) throw conflict(groupResource(info), name);
    }
  }

  /** Pods bound to a node terminate gracefully (the kubelet finishes the deletion); all else at once. */
  #gracePeriod(info: ResourceInfo, object: KubeObject, requested: number | undefined): number {
    if (!(info.group === '' && info.kind === 'Pod')) return 0;
    const spec = (object['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const status = (object['status'] ?? {}) as { phase?: string };
    if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
    const grace = requested ?? spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, grace);
  }
}

/** spec.finalizers of a Namespace (empty for every other kind). */
function namespaceFinalizers(info: ResourceInfo, object: KubeObject): string[] {
  if (!(info.group === '' && info.kind === 'Namespace')) return [];
  return ((object['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? []).filter(Boolean);
}

/** The datastore's value limit (1.5 MiB, as etcd's) answers 413, as upstream maps etcd's "request is too large". */
function storageError(err: unknown): unknown {
  if (err instanceof TooLargeError) return tooLarge(MAX_VALUE_BYTES);
  return err;
}

/** Kinds whose writes are too frequent to be worth field ownership (upstream skips Events). */
function isSystemManagedKind(info: ResourceInfo): boolean {
  return info.kind === 'Event';
}

/** An object without resourceVersion and managedFields timestamps, for no-op detection. */
function encodeComparable(object: KubeObject): unknown {
  const { resourceVersion: _rv, managedFields, ...meta } = object.metadata ?? {};
  const fields = Array.isArray(managedFields) ? managedFields.map((e) => ({ ...(e as object), time: undefined })) : managedFields;
  return { ...object, metadata: { ...meta, managedFields: fields } };
}

function immutableMetaErrors(object: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const meta = object.metadata ?? {};
  const oldMeta = old.metadata ?? {};
  if (meta.uid !== oldMeta.uid) errors.push({ field: 'metadata.uid', reason: 'FieldValueInvalid', message: `Invalid value: "${String(meta.uid)}": field is immutable` });
  return errors;
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.field}\0${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A patch's own resourceVersion is a precondition (merge and strategic patches may carry one). */
function patchPrecondition(type: PatchType, patch: unknown): string | undefined {
  if (type === 'json' || patch === null || typeof patch !== 'object' || Array.isArray(patch)) return undefined;
  const rv = (patch as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

function patchFailure(err: unknown, info: ResourceInfo, name: string): Error {
  if (err instanceof StatusError) return err;
  if (err instanceof PatchError) {
    if (err.kind === 'malformed') return badRequest(err.message);
    return new StatusError(422, 'Invalid', `${info.kind} "${name}" is invalid: ${err.message}`, {
      name,
      ...(info.group ? { group: info.group } : {}),
      kind: info.kind,
      causes: [{ reason: 'FieldValueInvalid', message: err.message, field: '' }],
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
