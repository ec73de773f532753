/**
 * WATCH over the watch cache, transport-independent: decides where the stream starts from the
 * resourceVersion (unset: the current state as ADDED events, then changes; "0": the same from
 * whatever the cache holds; N: every change after N, or 410 Expired), filters by namespace and
 * selectors (an object that stops matching is sent as DELETED, one that starts matching as ADDED,
 * as upstream's cacher does), and sends BOOKMARKs only to clients that allow them.
 */
import type { KubeObject, ResourceInfo } from '../api/types.js';
import { badRequest } from './errors.js';
import { collectionPrefix, resourcePrefix } from './registry/keys.js';
import { selects, type ListQuery } from './registry/list.js';
import { apiVersionOf } from './registry/object-meta.js';
import type { CachedObject, CacheEvent, WatchCache } from './watch-cache.js';

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchSink {
  send(type: WatchType, object: CachedObject | KubeObject): void;
  /** The watch ended on the server's side (timeout); the transport closes the stream. */
  end(): void;
}

export interface WatchParams {
  readonly query: Pick<ListQuery, 'labels' | 'fields'>;
  readonly resourceVersion: string;
  readonly resourceVersionMatch?: string;
  readonly allowBookmarks: boolean;
  readonly sendInitialEvents?: boolean;
  readonly timeoutSeconds?: number;
  readonly bookmarkIntervalMs?: number;
}

/** Upstream's default watch length is min-request-timeout (1800 s) and a random part; keep it simple. */
const DEFAULT_TIMEOUT_SECONDS = 1800;

export async function startWatch(cache: WatchCache, info: ResourceInfo, namespace: string, params: WatchParams, sink: WatchSink): Promise<() => void> {
  const base = resourcePrefix(info);
  const prefix = collectionPrefix(info, namespace);
  const rvText = params.resourceVersion;
  const initial = params.sendInitialEvents ?? (rvText === '' || rvText === '0');
  if (params.sendInitialEvents === true && !params.allowBookmarks) {
    throw badRequest('allowWatchBookmarks: Invalid value: false: sendInitialEvents requires setting allowWatchBookmarks=true');
  }
  let from: number;
  if (rvText === '') from = await cache.sync();
  else if (rvText === '0') from = cache.revision;
  else {
    const rv = Number(rvText);
    if (!/^\d+$/.test(rvText) || !Number.isSafeInteger(rv)) throw badRequest(`invalid resource version: ${rvText}`);
    await cache.waitFor(rv);
    from = params.sendInitialEvents ? cache.revision : rv;
  }

  const matches = (object: KubeObject): boolean => selects(info, params.query, object);
  let lastRevision = from;
  const listener = (event: CacheEvent): void => {
    if (!event.key.startsWith(prefix)) return;
    lastRevision = event.revision;
    const now = event.type === 'DELETED' ? false : matches(event.object.object);
    const before = event.previous !== undefined && matches(event.previous.object);
    if (event.type === 'DELETED') {
      if (before) sink.send('DELETED', event.object);
    } else if (now && before) sink.send('MODIFIED', event.object);
    else if (now) sink.send('ADDED', event.object);
    else if (before) {
      // Left the selection: DELETED with the previous content at the new resourceVersion.
      const last = event.previous!.object;
      sink.send('DELETED', { ...last, metadata: { ...last.metadata, resourceVersion: String(event.revision) } });
    }
  };

  const bookmark = (annotations?: Record<string, string>): void => {
    sink.send('BOOKMARK', {
      kind: info.kind,
      apiVersion: apiVersionOf(info),
      metadata: { resourceVersion: String(Math.max(lastRevision, cache.revision)), ...(annotations ? { annotations } : {}) },
    });
  };

  if (initial) {
    for (const entry of cache.list(base, prefix)) {
      if (matches(entry.object)) sink.send('ADDED', entry);
    }
  }
  const cancelCache = cache.watch(base, from, listener);
  if (params.sendInitialEvents && params.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });

  const timers: NodeJS.Timeout[] = [];
  if (params.allowBookmarks) {
    const every = params.bookmarkIntervalMs ?? 60_000;
    timers.push(setInterval(() => bookmark(), every));
  }
  const seconds = params.timeoutSeconds !== undefined && params.timeoutSeconds > 0 ? params.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS;
  let cancelled = false;
  const cancel = (): void => {
    if (cancelled) return;
    cancelled = true;
    cancelCache();
    for (const t of timers) clearInterval(t);
  };
  timers.push(
    setTimeout(() => {
      cancel();
      sink.end();
    }, seconds * 1000),
  );
  return cancel;
}
