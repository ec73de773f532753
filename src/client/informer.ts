/**
 * An informer: a local cache of one resource kept current by list + watch, as client-go's
 * shared informer. It lists, then watches from the list's resourceVersion; a watch that ends is
 * resumed from the last resourceVersion seen; a 410 Gone (history compacted) triggers a fresh
 * list whose differences against the cache are delivered as adds, updates and deletes, so
 * handlers never miss a change. Handlers should only enqueue keys (see WorkQueue).
 */
import type { KubeObject } from '../api/types.js';
import type { Runnable } from '../supervisor/runnable.js';
import { isGone, type ApiClient, type ResourceRef } from './types.js';
import { sleep } from '../supervisor/sleep.js';

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(object: T): void;
  onUpdate?(object: T, old: T): void;
  onDelete?(object: T): void;
}

export interface InformerOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Server-side watch timeout; the informer re-watches when it ends (client-go: 5-10 min). */
  readonly watchTimeoutSeconds?: number;
  /** Delay after a failed list or watch before retrying (doubles up to 30 s). */
  readonly retryBaseMs?: number;
  /** Called with errors the informer recovers from (for logging). */
  readonly onError?: (err: unknown) => void;
}

/** "namespace/name", or "name" for cluster-scoped objects: the key controllers queue. */
export function objectKey(object: KubeObject): string {
  const ns = object.metadata?.namespace;
  const name = object.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class Informer<T extends KubeObject = KubeObject> implements Runnable {
  readonly name: string;
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly indexes = new Map<string, { fn: (o: T) => string[]; map: Map<string, Set<string>> }>();
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private lastResourceVersion = '';
  private stoppedPromise: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ApiClient,
    private readonly ref: ResourceRef,
    private readonly options: InformerOptions = {},
  ) {
    this.name = `informer/${ref.group || 'core'}/${ref.resource}`;
  }

  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
    // Late registrants see the current contents, as client-go's AddEventHandler does.
    if (this.synced) for (const object of this.store.values()) handlers.onAdd?.(object);
  }

  /** Adds an index: `fn` maps an object to its index values (e.g. a pod to its node name). */
  addIndex(name: string, fn: (object: T) => string[]): void {
    const map = new Map<string, Set<string>>();
    for (const [key, object] of this.store) for (const value of fn(object)) addTo(map, value, key);
    this.indexes.set(name, { fn, map });
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer ${this.name} has no index "${name}"`);
    return [...(index.map.get(value) ?? [])].map((key) => this.store.get(key)).filter((o): o is T => o !== undefined);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has been loaded. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The resourceVersion the cache is current at. */
  resourceVersion(): string {
    return this.lastResourceVersion;
  }

  start(signal: AbortSignal): Promise<void> {
    this.stoppedPromise = this.loop(signal);
    return Promise.resolve();
  }

  stopped(): Promise<void> {
    return this.stoppedPromise;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const base = this.options.retryBaseMs ?? 200;
    let delay = base;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.client.watch<T>(
          this.ref,
          {
            resourceVersion: this.lastResourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
            ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
            ...(this.options.fieldSelector ? { fieldSelector: this.options.fieldSelector } : {}),
          },
          (event) => this.apply(event.type, event.object),
          signal,
        );
        delay = base;
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          needList = true;
          continue;
        }
        this.options.onError?.(err);
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.client.list<T>(this.ref, {
        limit: 500,
        ...(cont ? { continue: cont } : {}),
        ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
        ...(this.options.fieldSelector ? { fieldSelector: this.options.fieldSelector } : {}),
      });
      items.push(...page.items);
      resourceVersion ||= page.metadata.resourceVersion ?? '';
      cont = page.metadata.continue || undefined;
    } while (cont);
    const seen = new Set<string>();
    for (const object of items) {
      seen.add(objectKey(object));
      this.upsert(object);
    }
    for (const [key, old] of [...this.store]) if (!seen.has(key)) this.remove(key, old);
    this.lastResourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters) w();
      this.syncWaiters = [];
    }
  }

  private apply(type: string, object: T): void {
    const rv = object.metadata?.resourceVersion;
    if (type === 'ERROR') {
      // An ERROR event carries a Status; the watch ends right after it and the loop decides.
      return;
    }
    if (rv) this.lastResourceVersion = rv;
    if (type === 'BOOKMARK') return;
    if (type === 'DELETED') {
      const key = objectKey(object);
      const old = this.store.get(key);
      if (old) this.remove(key, object);
      return;
    }
    this.upsert(object);
  }

  private upsert(object: T): void {
    const key = objectKey(object);
    const old = this.store.get(key);
    if (old && old.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
    this.store.set(key, object);
    for (const index of this.indexes.values()) {
      if (old) for (const value of index.fn(old)) index.map.get(value)?.delete(key);
      for (const value of index.fn(object)) addTo(index.map, value, key);
    }
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(object, old);
      else h.onAdd?.(object);
    }
  }

  private remove(key: string, last: T): void {
    const old = this.store.get(key);
    this.store.delete(key);
    if (old) for (const index of this.indexes.values()) for (const value of index.fn(old)) index.map.get(value)?.delete(key);
    for (const h of this.handlers) h.onDelete?.(last);
  }
}

function addTo(map: Map<string, Set<string>>, value: string, key: string): void {
  let set = map.get(value);
  if (!set) map.set(value, (set = new Set()));
  set.add(key);
}
