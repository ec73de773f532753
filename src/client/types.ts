/**
 * The API client interface every component uses: controllers, the scheduler and the kubelet call
 * the API through it, never the datastore. Two implementations: loopback (in the server process,
 * the API server's pipeline without HTTP) and HTTPS (agents on other machines). A component
 * cannot tell which it has.
 */
import type { KubeObject } from '../api/types.js';

/** Which collection: group '' is the core group (/api/v1). */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  /** Plural resource name, e.g. "pods". */
  readonly resource: string;
  /** Absent for cluster-scoped resources, or for lists across all namespaces. */
  readonly namespace?: string;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchOptions {
  readonly resourceVersion?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly allowWatchBookmarks?: boolean;
  readonly timeoutSeconds?: number;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

export interface WriteOptions {
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchOptions extends WriteOptions {
  readonly subresource?: string;
  /** Server-side apply: take over conflicting fields. */
  readonly force?: boolean;
}

export interface DeleteOptions {
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { uid?: string; resourceVersion?: string };
  readonly dryRun?: boolean;
}

export interface ApiClient {
  get<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, subresource?: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(ref: ResourceRef, options?: ListOptions): Promise<KubeList<T>>;
  /**
   * Streams events until the server ends the watch, `signal` aborts, or an error; resolves when
   * the stream ends normally (callers re-watch from the last resourceVersion they saw).
   */
  watch<T extends KubeObject = KubeObject>(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
  create<T extends KubeObject = KubeObject>(ref: ResourceRef, object: T, options?: WriteOptions & { subresource?: string; name?: string }): Promise<T>;
  update<T extends KubeObject = KubeObject>(ref: ResourceRef, object: T, options?: WriteOptions & { subresource?: string }): Promise<T>;
  patch<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, type: PatchType, patch: unknown, options?: PatchOptions): Promise<T>;
  delete(ref: ResourceRef, name: string, options?: DeleteOptions): Promise<KubeObject>;
}

/** A metav1.Status answered by the API, thrown as an error. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: { reason?: string; message?: string; field?: string }[]; retryAfterSeconds?: number };
  code: number;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: Status) {
    super(status.message ?? `${status.code} ${status.reason ?? 'error'}`);
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string | undefined {
    return this.status.reason;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'Conflict';
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}
/** 410: the resourceVersion is too old (compacted); re-list. */
export function isGone(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

/** The URL path of a collection or object, as the API serves it. */
export function resourcePath(ref: ResourceRef, name?: string, subresource?: string): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespace !== undefined && ref.namespace !== '' ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const obj = name !== undefined ? `/${encodeURIComponent(name)}` : '';
  const sub = subresource !== undefined ? `/${subresource}` : '';
  return `${base}${ns}/${ref.resource}${obj}${sub}`;
}
