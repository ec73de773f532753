/**
 * The watch cache: every object under /registry/ in memory, kept current by ONE datastore watch,
 * plus a window of recent events. Lists and watches are served from here (upstream's cacher), so
 * a thousand watchers cost one datastore watch and a LIST never touches the datastore.
 *
 * Consistency: a read that must see every acknowledged write first asks the datastore for its
 * current revision and waits until the cache has applied it (upstream 1.31's consistent reads
 * from cache). Watches resume from any revision still inside the event window; older ones get
 * 410 Expired, as upstream's "too old resource version".
 */
import type { KubeObject } from '../api/types.js';
import type { Backend, Watch, WatchEvent as StoreEvent } from '../datastore/types.js';
import { prefixRange } from '../datastore/types.js';
import { logger } from '../log/index.js';
import { expired, timeout } from './errors.js';
import { decodeObject } from './registry/codec.js';
import { REGISTRY_PREFIX } from './registry/keys.js';

/** An object as the cache holds it: never mutated after insertion (callers clone to change). */
export class CachedObject {
  #json: string | undefined;
  constructor(
    readonly key: string,
    readonly object: KubeObject,
    readonly revision: number,
  ) {}
  /** The object's JSON, computed once and reused by every list and watch that sends it. */
  get json(): string {
    return (this.#json ??= JSON.stringify(this.object));
  }
}

export interface CacheEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  /** For DELETED: the last state, with resourceVersion = the deletion's revision. */
  readonly object: CachedObject;
  /** The state before this event (MODIFIED, DELETED). */
  readonly previous: CachedObject | undefined;
  readonly revision: number;
}

export type CacheListener = (event: CacheEvent) => void;

interface Bucket {
  readonly objects: Map<string, CachedObject>;
  sorted: string[] | undefined;
  readonly listeners: Set<CacheListener>;
}

export interface WatchCacheOptions {
  /** Events kept for resuming watches (upstream keeps a time- and size-bounded window). */
  readonly windowSize?: number;
}

const log = logger('watch-cache');

export class WatchCache {
  readonly #backend: Backend;
  readonly #buckets = new Map<string, Bucket>();
  readonly #window: CacheEvent[] = [];
  #windowStart = 0;
  readonly #windowSize: number;
  /** Every event after this revision is still in the window. */
  #floor = 0;
  #revision = 0;
  #watch: Watch | undefined;
  #waiters: { revision: number; resolve: () => void }[] = [];
  #failed: Error | undefined;

  constructor(backend: Backend, prefixes: Iterable<string>, options: WatchCacheOptions = {}) {
    this.#backend = backend;
    this.#windowSize = options.windowSize ?? 20_000;
    for (const prefix of prefixes) this.addPrefix(prefix);
  }

  /** Caches a resource's key space (a CRD becoming served); its objects are loaded from the store. */
  addPrefix(prefix: string): void {
    if (this.#buckets.has(prefix)) return;
    this.#buckets.set(prefix, { objects: new Map(), sorted: undefined, listeners: new Set() });
  }

  get revision(): number {
    return this.#revision;
  }

  /** Loads everything and starts following the datastore; resolves when the cache is current. */
  async start(): Promise<void> {
    const range = prefixRange(REGISTRY_PREFIX);
    const result = await this.#backend.range(range);
    for (const kv of result.kvs) {
      const bucket = this.#bucketOf(kv.key);
      if (!bucket) continue;
      bucket.objects.set(kv.key, new CachedObject(kv.key, decodeObject(kv.value, kv.modRevision), kv.modRevision));
    }
    this.#revision = result.revision;
    this.#floor = result.revision;
    // Follow every key, not only /registry/, so the cache's revision keeps up with the store's
    // even when the newest write is elsewhere (sync() waits for the store's current revision).
    this.#watch = this.#backend.watch(
      { key: '\0', rangeEnd: '\0', startRevision: result.revision + 1 },
      {
        onEvents: (events) => this.#apply(events),
        onError: (error) => this.#fail(error),
      },
    );
  }

  stop(): void {
    this.#watch?.cancel();
    this.#watch = undefined;
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }

  #fail(error: Error): void {
    // The datastore watch broke: nothing the cache says can be trusted any more. Fail loudly;
    // the supervisor restarts the server (a silent stale cache would serve wrong answers).
    log.error({ err: error }, 'datastore watch failed; the watch cache is stale');
    this.#failed = error;
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }

  get failure(): Error | undefined {
    return this.#failed;
  }

  /** The bucket whose prefix is the longest one `key` starts with. */
  #bucketOf(key: string): Bucket | undefined {
    // Storage resources have one or two segments ("configmaps", "services/specs").
    const rest = key.slice(REGISTRY_PREFIX.length);
    const first = rest.indexOf('/');
    if (first < 0) return undefined;
    const second = rest.indexOf('/', first + 1);
    if (second >= 0) {
      const two = this.#buckets.get(REGISTRY_PREFIX + rest.slice(0, second + 1));
      if (two) return two;
    }
    return this.#buckets.get(REGISTRY_PREFIX + rest.slice(0, first + 1));
  }

  #prefixOf(key: string): string | undefined {
    const rest = key.slice(REGISTRY_PREFIX.length);
    const first = rest.indexOf('/');
    if (first < 0) return undefined;
    const second = rest.indexOf('/', first + 1);
    if (second >= 0 && this.#buckets.has(REGISTRY_PREFIX + rest.slice(0, second + 1))) return REGISTRY_PREFIX + rest.slice(0, second + 1);
    const one = REGISTRY_PREFIX + rest.slice(0, first + 1);
    return this.#buckets.has(one) ? one : undefined;
  }

  #apply(events: readonly StoreEvent[]): void {
    for (const event of events) {
      const revision = event.kv.modRevision;
      const bucket = this.#bucketOf(event.kv.key);
      if (bucket) {
        const key = event.kv.key;
        const previous = bucket.objects.get(key);
        let cacheEvent: CacheEvent | undefined;
        if (event.type === 'put') {
          let object: KubeObject;
          try {
            object = decodeObject(event.kv.value, revision);
          } catch (err) {
            log.warn({ key, err }, 'skipping a value that is not a JSON object');
            continue;
          }
          const cached = new CachedObject(key, object, revision);
          if (!previous) bucket.sorted = undefined;
          bucket.objects.set(key, cached);
          cacheEvent = { type: previous ? 'MODIFIED' : 'ADDED', key, object: cached, previous, revision };
        } else if (previous) {
          bucket.objects.delete(key);
          bucket.sorted = undefined;
          const last = { ...previous.object, metadata: { ...previous.object.metadata, resourceVersion: String(revision) } };
          cacheEvent = { type: 'DELETED', key, object: new CachedObject(key, last, revision), previous, revision };
        }
        if (cacheEvent) {
          this.#remember(cacheEvent);
          for (const listener of bucket.listeners) {
            try {
              listener(cacheEvent);
            } catch (err) {
              log.warn({ err }, 'watch listener failed');
            }
          }
        }
      }
      if (revision > this.#revision) this.#revision = revision;
    }
    if (this.#waiters.length > 0) {
      const ready = this.#waiters.filter((w) => w.revision <= this.#revision);
      this.#waiters = this.#waiters.filter((w) => w.revision > this.#revision);
      for (const w of ready) w.resolve();
    }
  }

  #remember(event: CacheEvent): void {
    this.#window.push(event);
    if (this.#window.length - this.#windowStart > this.#windowSize) {
      this.#floor = this.#window[this.#windowStart]!.revision;
      this.#windowStart++;
      // Compact the array now and then instead of shifting on every event.
      if (this.#windowStart > this.#windowSize) {
        this.#window.splice(0, this.#windowStart);
        this.#windowStart = 0;
      }
    }
  }

  /** Resolves once the cache has applied `revision` (504 Timeout after `timeoutMs`). */
  async waitFor(revision: number, timeoutMs = 3000): Promise<void> {
    if (this.#failed) throw this.#failed;
    if (revision <= this.#revision) return;
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<void>((resolve) => this.#waiters.push({ revision, resolve }));
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeout(`Too large resource version: ${revision}, current: ${this.#revision}`)), timeoutMs);
    });
    try {
      await Promise.race([reached, late]);
    } finally {
      clearTimeout(timer);
    }
    if (this.#failed) throw this.#failed;
  }

  /** Waits until every write the datastore has acknowledged is in the cache; returns that revision. */
  async sync(): Promise<number> {
    const current = await this.#backend.currentRevision();
    if (current <= this.#revision) return this.#revision;
    try {
      await this.waitFor(current, 1000);
    } catch (err) {
      if (this.#failed) throw err;
      // A revision that carries no event (a driver may advance the counter without a row):
      // nothing more will arrive for it, so the cache is as current as the store.
      log.debug({ current, cached: this.#revision }, 'store revision without an event; treating the cache as current');
      if (current > this.#revision) this.#revision = current;
    }
    return this.#revision;
  }

  /** The cached objects under `prefix` (a resource's or one namespace's), sorted by key. */
  list(resourcePrefix: string, prefix: string = resourcePrefix): CachedObject[] {
    const bucket = this.#buckets.get(resourcePrefix);
    if (!bucket) return [];
    bucket.sorted ??= [...bucket.objects.keys()].sort();
    const keys = bucket.sorted;
    if (prefix === resourcePrefix) return keys.map((k) => bucket.objects.get(k)!);
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: CachedObject[] = [];
    for (let i = lo; i < keys.length && keys[i]!.startsWith(prefix); i++) out.push(bucket.objects.get(keys[i]!)!);
    return out;
  }

  get(key: string): CachedObject | undefined {
    return this.#bucketOf(key)?.objects.get(key);
  }

  count(resourcePrefix: string): number {
    return this.#buckets.get(resourcePrefix)?.objects.size ?? 0;
  }

  /**
   * Follows `resourcePrefix` from `fromRevision` (events with a greater revision are delivered),
   * replaying the window first. Throws 410 Expired when the window no longer reaches back that far.
   */
  watch(resourcePrefix: string, fromRevision: number, listener: CacheListener): () => void {
    const bucket = this.#buckets.get(resourcePrefix);
    if (!bucket) throw new Error(`internal: ${resourcePrefix} is not cached`);
    if (fromRevision < this.#floor) {
      throw expired(`too old resource version: ${fromRevision} (${this.#floor})`);
    }
    for (let i = this.#windowStart; i < this.#window.length; i++) {
      const event = this.#window[i]!;
      if (event.revision > fromRevision && this.#prefixOf(event.key) === resourcePrefix) listener(event);
    }
    bucket.listeners.add(listener);
    return () => bucket.listeners.delete(listener);
  }

  /** Number of live watch listeners (for metrics and tests). */
  get listenerCount(): number {
    let n = 0;
    for (const b of this.#buckets.values()) n += b.listeners.size;
    return n;
  }
}
