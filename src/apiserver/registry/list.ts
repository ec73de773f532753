/**
 * LIST: served from the watch cache, with label and field selectors, paging (limit/continue) and
 * the resourceVersion semantics of upstream:
 *   resourceVersion unset        consistent: the cache first catches up with the store
 *   resourceVersion=0            any: whatever the cache holds now
 *   resourceVersion=N            not older than N (default match), or Exact: a snapshot at N
 *   continue=<token>             the next page of the snapshot the first page came from
 * Snapshots older than the cache are read from the datastore at that revision; compacted ones
 * answer 410 Expired, as upstream.
 */
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import type { Backend } from '../../datastore/types.js';
import { CompactedError, FutureRevisionError, prefixEnd } from '../../datastore/types.js';
import { badRequest, expired, timeout } from '../errors.js';
import type { FieldSelector } from '../selectors/fields.js';
import type { LabelSelector } from '../selectors/labels.js';
import { CachedObject, type WatchCache } from '../watch-cache.js';
import { decodeObject } from './codec.js';
import { collectionPrefix, resourcePrefix } from './keys.js';

export interface ListQuery {
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
}

export interface ListResult {
  readonly items: CachedObject[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

interface ContinueToken {
  readonly rv: number;
  /** Key, relative to the collection prefix, to start from (inclusive). */
  readonly start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (raw.v !== 'meta.k8s.io/v1' || typeof raw.rv !== 'number' || typeof raw.start !== 'string' || raw.rv <= 0) throw new Error('bad');
    if (raw.start.includes('..') || raw.start.startsWith('/')) throw new Error('bad');
    return { rv: raw.rv, start: raw.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function parseRevision(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw badRequest(`invalid resource version: ${text}`);
  return n;
}

const TOO_OLD_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

export function selects(info: ResourceInfo, query: Pick<ListQuery, 'labels' | 'fields'>, object: KubeObject): boolean {
  return (query.labels.empty || query.labels.matches(object.metadata?.labels)) && (query.fields.empty || query.fields.matches(object));
}

export async function listObjects(backend: Backend, cache: WatchCache, info: ResourceInfo, namespace: string, query: ListQuery): Promise<ListResult> {
  const base = resourcePrefix(info);
  const prefix = collectionPrefix(info, namespace);
  const limit = query.limit !== undefined && query.limit > 0 ? query.limit : 0;
  const rvText = query.resourceVersion ?? '';
  const match = query.resourceVersionMatch ?? '';
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') {
    throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (match !== '' && rvText === '') throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (query.continue && rvText !== '' && rvText !== '0') throw badRequest('specifying resource version is not allowed when using continue');
  if (match === 'Exact' && rvText === '0') throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');

  let snapshot: number | undefined;
  let start = prefix;
  if (query.continue) {
    const token = decodeContinue(query.continue);
    snapshot = token.rv;
    start = prefix + token.start;
  } else if (rvText === '') {
    await cache.sync();
  } else if (rvText !== '0') {
    const rv = parseRevision(rvText);
    if (match === 'Exact') snapshot = rv;
    else await cache.waitFor(rv);
  }

  // A snapshot the cache still represents (no write since) is served from memory.
  if (snapshot !== undefined && snapshot !== cache.revision) {
    return listFromStore(backend, info, prefix, start, snapshot, limit, query);
  }
  const revision = cache.revision;
  const all = cache.list(base, prefix);
  const items: CachedObject[] = [];
  let i = 0;
  if (start !== prefix) {
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.key < start) lo = mid + 1;
      else hi = mid;
    }
    i = lo;
  }
  for (; i < all.length; i++) {
    const entry = all[i]!;
    if (!selects(info, query, entry.object)) continue;
    if (limit > 0 && items.length === limit) {
      const last = items[items.length - 1]!;
      const unfiltered = query.labels.empty && query.fields.empty;
      return {
        items,
        resourceVersion: String(revision),
        continue: encodeContinue({ rv: revision, start: last.key.slice(prefix.length) + '\0' }),
        ...(unfiltered ? { remainingItemCount: all.length - i } : {}),
      };
    }
    items.push(entry);
  }
  return { items, resourceVersion: String(revision) };
}

async function listFromStore(
  backend: Backend,
  info: ResourceInfo,
  prefix: string,
  start: string,
  revision: number,
  limit: number,
  query: ListQuery,
): Promise<ListResult> {
  const items: CachedObject[] = [];
  const end = prefixEnd(prefix);
  let from = start;
  const page = Math.max(limit * 2, 500);
  try {
    for (;;) {
      const result = await backend.range({ key: from, rangeEnd: end, revision, limit: page });
      for (const kv of result.kvs) {
        const object = decodeObject(kv.value, kv.modRevision);
        if (!selects(info, query, object)) continue;
        if (limit > 0 && items.length === limit) {
          const last = items[items.length - 1]!;
          return { items, resourceVersion: String(revision), continue: encodeContinue({ rv: revision, start: last.key.slice(prefix.length) + '\0' }) };
        }
        items.push(new CachedObject(kv.key, object, kv.modRevision));
      }
      if (!result.more || result.kvs.length === 0) break;
      from = result.kvs[result.kvs.length - 1]!.key + '\0';
    }
  } catch (err) {
    if (err instanceof CompactedError) throw expired(TOO_OLD_CONTINUE);
    if (err instanceof FutureRevisionError) throw timeout(`Too large resource version: ${revision}, current: ${err.current}`);
    throw err;
  }
  return { items, resourceVersion: String(revision) };
}
