/**
 * Strategic merge patch (application/strategic-merge-patch+json), the kubectl default for
 * `kubectl patch` and client-side `kubectl apply`. Like a merge patch, but lists with a patch
 * merge key (containers by name, ports by containerPort, ...) merge element by element, primitive
 * lists with strategy "merge" union, and these directives are honoured:
 *   $patch: replace | delete | merge   (in a map, or as a list element)
 *   $retainKeys: [...]                 (keys to keep in a map with strategy retainKeys)
 *   $deleteFromPrimitiveList/<field>   (values to drop from a merged primitive list)
 *   $setElementOrder/<field>           (the order of a merged list after patching)
 */
import type { PatchMeta } from '../../api/types.js';
import { PatchError } from './errors.js';
import { deepClone, deepEqual, isObject, type JsonObject, type JsonValue } from './json-value.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

/** Meta for objects without schema (no merge keys): every list is replaced. */
export const NO_PATCH_META: PatchMeta = {
  field: () => NO_PATCH_META,
  items: () => NO_PATCH_META,
};

export function applyStrategicMergePatch(document: JsonValue, patch: unknown, meta: PatchMeta = NO_PATCH_META): JsonValue {
  if (!isObject(patch)) throw new PatchError('malformed', 'a strategic merge patch must be a JSON object');
  const result = mergeMap(isObject(document) ? document : {}, patch, meta);
  return result === undefined ? {} : result;
}

/** Returns the merged map, or undefined when the patch deletes it ($patch: delete). */
function mergeMap(original: JsonObject, patch: JsonObject, meta: PatchMeta): JsonObject | undefined {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') return stripDirectives(withoutKey(patch, DIRECTIVE)) as JsonObject;
    if (directive !== 'merge') throw new PatchError('malformed', `unknown $patch directive ${JSON.stringify(directive)}`);
  }
  const out: JsonObject = { ...original };
  const orders: [string, JsonValue[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue;
    if (key.startsWith(SET_ELEMENT_ORDER)) {
      if (!Array.isArray(value)) throw new PatchError('malformed', `${key} must be a list`);
      orders.push([key.slice(SET_ELEMENT_ORDER.length), value]);
      continue;
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE.length);
      if (!Array.isArray(value)) throw new PatchError('malformed', `${key} must be a list`);
      const current = out[field];
      if (Array.isArray(current)) out[field] = current.filter((item) => !value.some((v) => deepEqual(v, item)));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const fieldMeta = meta.field(key);
    const current = out[key];
    if (isObject(value)) {
      const merged = mergeMap(isObject(current) ? current : {}, value, fieldMeta);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else if (Array.isArray(value)) {
      out[key] = mergeList(Array.isArray(current) ? current : [], value, fieldMeta, key);
    } else {
      out[key] = value;
    }
  }
  for (const [field, order] of orders) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = applyOrder(list, order, meta.field(field).mergeKey);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
      throw new PatchError('malformed', '$retainKeys must be a list of field names');
    }
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  }
  return out;
}

function mergeList(original: JsonValue[], patch: JsonValue[], meta: PatchMeta, field: string): JsonValue[] {
  const strategy = meta.strategy ?? '';
  const replaceDirective = patch.some((item) => isObject(item) && item[DIRECTIVE] === 'replace');
  if (replaceDirective) {
    return patch.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'replace')).map((item) => stripDirectives(item));
  }
  if (!strategy.split(',').includes('merge')) return patch.map((item) => stripDirectives(item));

  const mergeKey = meta.mergeKey;
  if (mergeKey === undefined || patch.every((item) => !isObject(item))) {
    // Primitive list with merge strategy: set union, original order first.
    const out = [...original];
    for (const item of patch) if (!out.some((existing) => deepEqual(existing, item))) out.push(item);
    return normalizeOrder(out, patch, original, (item) => item);
  }
  const out = original.map((item) => deepClone(item));
  const itemMeta = meta.items();
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError('malformed', `list ${field} merges by "${mergeKey}" but an element is not an object`);
    if (!Object.hasOwn(item, mergeKey)) {
      throw new PatchError('malformed', `an element of list ${field} is missing its merge key "${mergeKey}"`);
    }
    const keyValue = item[mergeKey];
    const index = out.findIndex((existing) => isObject(existing) && deepEqual(existing[mergeKey], keyValue));
    if (item[DIRECTIVE] === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(out[index] as JsonObject, item, itemMeta);
      if (merged === undefined) out.splice(index, 1);
      else out[index] = merged;
    } else {
      const added = mergeMap({}, item, itemMeta);
      if (added !== undefined) out.push(added);
    }
  }
  const keyOf = (item: JsonValue): JsonValue => (isObject(item) ? (item[mergeKey] ?? null) : item);
  return normalizeOrder(out, patch.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'delete')), original, keyOf);
}

/**
 * Upstream's element order after a merge: the patch's items in patch order, interleaved with the
 * items only the server has in their server order; where the two cannot be compared (an item new
 * to the server), the patch's item goes first. So a container added by a patch lands in front.
 */
function normalizeOrder(merged: JsonValue[], patch: JsonValue[], original: JsonValue[], keyOf: (item: JsonValue) => JsonValue): JsonValue[] {
  const indexIn = (list: JsonValue[], item: JsonValue): number => list.findIndex((x) => deepEqual(keyOf(x), keyOf(item)));
  const fromPatch = merged.filter((item) => indexIn(patch, item) >= 0).sort((a, b) => indexIn(patch, a) - indexIn(patch, b));
  const serverOnly = merged.filter((item) => indexIn(patch, item) < 0);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < fromPatch.length || j < serverOnly.length) {
    if (i >= fromPatch.length) out.push(serverOnly[j++]!);
    else if (j >= serverOnly.length) out.push(fromPatch[i++]!);
    else {
      const li = indexIn(original, fromPatch[i]!);
      const ri = indexIn(original, serverOnly[j]!);
      if (li >= 0 && ri >= 0 && li > ri) out.push(serverOnly[j++]!);
      else out.push(fromPatch[i++]!);
    }
  }
  return out;
}

/** Reorders `list` by `order` (elements or merge-key stubs); elements not named keep their place after. */
function applyOrder(list: JsonValue[], order: JsonValue[], mergeKey: string | undefined): JsonValue[] {
  const keyOf = (item: JsonValue): JsonValue => (mergeKey !== undefined && isObject(item) ? (item[mergeKey] ?? null) : item);
  const ranked = order.map(keyOf);
  const rank = (item: JsonValue): number => {
    const i = ranked.findIndex((k) => deepEqual(k, keyOf(item)));
    return i < 0 ? ranked.length : i;
  };
  return list
    .map((item, position) => ({ item, position }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.position - b.position)
    .map(({ item }) => item);
}

function withoutKey(object: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = object;
  return rest;
}

/** Removes directive keys from values that are stored verbatim (replaced or newly added). */
function stripDirectives(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE)) continue;
    out[key] = stripDirectives(inner);
  }
  return out;
}
