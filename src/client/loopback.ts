/**
 * The loopback ApiClient: the API server's own REST pipeline called in-process (no HTTP, no
 * JSON round trip for requests), as system:apiserver in system:masters. Controllers use it exactly
 * as they would the HTTPS client. Objects handed out are copies: callers may mutate them freely
 * without touching the watch cache.
 */
import type { KubeObject, ResourceInfo } from '../api/types.js';
import type { Rest, RestContext } from '../apiserver/rest.js';
import { listQuery } from '../apiserver/rest.js';
import { LOOPBACK_USER } from '../apiserver/types.js';
import { startWatch } from '../apiserver/watch.js';
import type { CachedObject, WatchCache } from '../apiserver/watch-cache.js';
import type {
  ApiClient,
  DeleteOptions,
  KubeList,
  ListOptions,
  PatchOptions,
  PatchType,
  ResourceRef,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.js';

function copy<T>(object: CachedObject | KubeObject): T {
  return ('json' in object && typeof object.json === 'string' ? JSON.parse(object.json) : structuredClone(object)) as T;
}

function context(params: Record<string, string | undefined>): RestContext {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, v);
  return { user: LOOPBACK_USER, query, userAgent: 'k3s-loopback' };
}

function writeParams(options?: WriteOptions): Record<string, string | undefined> {
  return { dryRun: options?.dryRun ? 'All' : undefined, fieldManager: options?.fieldManager };
}

export class LoopbackClient implements ApiClient {
  constructor(
    private readonly rest: Rest,
    private readonly cache: WatchCache,
  ) {}

  #info(ref: ResourceRef): ResourceInfo {
    return this.rest.resolve(ref.group, ref.version, ref.resource);
  }

  #ns(ref: ResourceRef, info: ResourceInfo): string {
    return info.namespaced ? (ref.namespace ?? '') : '';
  }

  async get<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, subresource?: string): Promise<T> {
    const info = this.#info(ref);
    return (await this.rest.get(info, this.#ns(ref, info), name, subresource ?? '', context({}))) as T;
  }

  async list<T extends KubeObject = KubeObject>(ref: ResourceRef, options: ListOptions = {}): Promise<KubeList<T>> {
    const info = this.#info(ref);
    const result = await this.rest.list(
      info,
      this.#ns(ref, info),
      context({
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit !== undefined ? String(options.limit) : undefined,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
        resourceVersionMatch: options.resourceVersionMatch,
      }),
    );
    return {
      apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
      kind: info.listKind,
      metadata: {
        resourceVersion: result.resourceVersion,
        ...(result.continue ? { continue: result.continue } : {}),
        ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
      },
      items: result.items.map((i) => copy<T>(i)),
    };
  }

  async watch<T extends KubeObject = KubeObject>(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const external = this.#info(ref);
    const conv = this.rest.converter(external);
    const info = conv?.storage ?? external;
    const query = listQuery(
      info,
      new URLSearchParams(Object.entries({ labelSelector: options.labelSelector ?? '', fieldSelector: options.fieldSelector ?? '' })),
    );
    if (signal.aborted) return;
    await new Promise<void>((resolve, reject) => {
      let cancel: (() => void) | undefined;
      const finish = (): void => {
        cancel?.();
        signal.removeEventListener('abort', finish);
        resolve();
      };
      signal.addEventListener('abort', finish, { once: true });
      startWatch(
        this.cache,
        info,
        this.#ns(ref, external),
        {
          query,
          resourceVersion: options.resourceVersion ?? '',
          allowBookmarks: options.allowWatchBookmarks === true,
          ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
        },
        {
          send: (type, object) => {
            if (signal.aborted) return;
            const out = conv && type !== 'BOOKMARK' ? (conv.fromStorage(copy<KubeObject>(object)) as T) : copy<T>(object);
            onEvent({ type, object: out });
          },
          end: finish,
        },
      ).then(
        (c) => {
          cancel = c;
          if (signal.aborted) c();
        },
        (err: unknown) => {
          signal.removeEventListener('abort', finish);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  async create<T extends KubeObject = KubeObject>(ref: ResourceRef, object: T, options?: WriteOptions & { subresource?: string; name?: string }): Promise<T> {
    const info = this.#info(ref);
    const out = await this.rest.create(info, this.#ns(ref, info), options?.name ?? '', options?.subresource ?? '', structuredClone(object), context(writeParams(options)));
    return out.object as T;
  }

  async update<T extends KubeObject = KubeObject>(ref: ResourceRef, object: T, options?: WriteOptions & { subresource?: string }): Promise<T> {
    const info = this.#info(ref);
    const name = object.metadata?.name ?? '';
    const out = await this.rest.update(info, this.#ns(ref, info), name, options?.subresource ?? '', structuredClone(object), context(writeParams(options)));
    return out.object as T;
  }

  async patch<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, type: PatchType, patch: unknown, options?: PatchOptions): Promise<T> {
    const info = this.#info(ref);
    const params = { ...writeParams(options), force: type === 'apply' && options?.force ? 'true' : undefined };
    const out = await this.rest.patch(info, this.#ns(ref, info), name, options?.subresource ?? '', type, structuredClone(patch), context(params));
    return out.object as T;
  }

  async delete(ref: ResourceRef, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    const info = this.#info(ref);
    const { dryRun, ...rest } = options;
    const out = await this.rest.delete(info, this.#ns(ref, info), name, { ...rest, ...(dryRun ? { dryRun: ['All'] } : {}) }, context({}));
    return out.response;
  }
}
