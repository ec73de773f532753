/**
 * An in-memory ApiClient for unit tests of API clients (controllers, leader election, events):
 * resourceVersions, optimistic concurrency (409 Conflict), AlreadyExists, NotFound, merge
 * patches and watches, with upstream's Status shapes. Integration tests use the real server.
 */
import type { KubeObject } from '../../src/api/types.js';
import { applyMergePatch, type JsonValue } from '../../src/apiserver/patch/index.js';
import { ApiError, type ApiClient, type KubeList, type ResourceRef, type WatchEvent } from '../../src/client/types.js';

function status(code: number, reason: string, message: string): ApiError {
  return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message });
}

export class FakeApi implements ApiClient {
  private rv = 1;
  readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<{ prefix: string; onEvent: (e: WatchEvent) => void }>();
  /** Every write, in order: "create pods/default/x", "update ...", "patch ...", "delete ...". */
  readonly writes: string[] = [];

  private key(ref: ResourceRef, name: string): string {
    return `${ref.group}/${ref.resource}/${ref.namespace ?? ''}/${name}`;
  }

  private prefix(ref: ResourceRef): string {
    return `${ref.group}/${ref.resource}/${ref.namespace !== undefined ? `${ref.namespace}/` : ''}`;
  }

  private store(key: string, object: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    const stored = structuredClone(object);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv) };
    this.objects.set(key, stored);
    this.notify(key, type, stored);
    return structuredClone(stored);
  }

  private notify(key: string, type: WatchEvent['type'], object: KubeObject): void {
    for (const w of this.watchers) if (key.startsWith(w.prefix)) w.onEvent({ type, object: structuredClone(object) });
  }

  async get<T extends KubeObject>(ref: ResourceRef, name: string): Promise<T> {
    const object = this.objects.get(this.key(ref, name));
    if (!object) throw status(404, 'NotFound', `${ref.resource} "${name}" not found`);
    return structuredClone(object) as T;
  }

  async list<T extends KubeObject>(ref: ResourceRef): Promise<KubeList<T>> {
    const prefix = this.prefix(ref);
    const items = [...this.objects].filter(([k]) => k.startsWith(prefix)).map(([, o]) => structuredClone(o) as T);
    return { metadata: { resourceVersion: String(this.rv) }, items };
  }

  watch<T extends KubeObject>(ref: ResourceRef, _options: unknown, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const watcher = { prefix: this.prefix(ref), onEvent: onEvent as (e: WatchEvent) => void };
    this.watchers.add(watcher);
    return new Promise((resolve) => {
      const keepAlive = setInterval(() => {}, 1 << 30);
      signal.addEventListener('abort', () => (clearInterval(keepAlive), this.watchers.delete(watcher), resolve()), { once: true });
    });
  }

  async create<T extends KubeObject>(ref: ResourceRef, object: T): Promise<T> {
    const name = object.metadata?.name ?? '';
    const key = this.key(ref, name);
    if (this.objects.has(key)) throw status(409, 'AlreadyExists', `${ref.resource} "${name}" already exists`);
    this.writes.push(`create ${ref.resource}/${ref.namespace ?? ''}/${name}`);
    return this.store(key, { ...object, metadata: { ...object.metadata, uid: `uid-${this.rv}`, creationTimestamp: new Date().toISOString() } }, 'ADDED') as T;
  }

  async update<T extends KubeObject>(ref: ResourceRef, object: T): Promise<T> {
    const name = object.metadata?.name ?? '';
    const key = this.key(ref, name);
    const current = this.objects.get(key);
    if (!current) throw status(404, 'NotFound', `${ref.resource} "${name}" not found`);
    const rv = object.metadata?.resourceVersion;
    if (rv && rv !== current.metadata?.resourceVersion) {
      throw status(409, 'Conflict', `Operation cannot be fulfilled on ${ref.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    this.writes.push(`update ${ref.resource}/${ref.namespace ?? ''}/${name}`);
    return this.store(key, object, 'MODIFIED') as T;
  }

  async patch<T extends KubeObject>(ref: ResourceRef, name: string, type: string, patch: unknown): Promise<T> {
    if (type !== 'merge') throw new Error(`FakeApi supports merge patches only, not ${type}`);
    const key = this.key(ref, name);
    const current = this.objects.get(key);
    if (!current) throw status(404, 'NotFound', `${ref.resource} "${name}" not found`);
    this.writes.push(`patch ${ref.resource}/${ref.namespace ?? ''}/${name}`);
    return this.store(key, applyMergePatch(current as JsonValue, patch as JsonValue) as KubeObject, 'MODIFIED') as T;
  }

  async delete(ref: ResourceRef, name: string): Promise<KubeObject> {
    const key = this.key(ref, name);
    const current = this.objects.get(key);
    if (!current) throw status(404, 'NotFound', `${ref.resource} "${name}" not found`);
    this.objects.delete(key);
    this.writes.push(`delete ${ref.resource}/${ref.namespace ?? ''}/${name}`);
    this.notify(key, 'DELETED', current);
    return current;
  }
}
