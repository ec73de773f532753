/**
 * Field sets: which fields of an object a manager owns, for server-side apply and
 * metadata.managedFields. A path is a list of FieldsV1 path elements, each written exactly as in
 * FieldsV1 JSON: "f:<field>", "k:<json of the list-map keys>", "v:<json of a set value>",
 * "i:<index>". Sets serialize to and from the FieldsV1 tree (leaves are {}, "." marks a node that
 * is itself a member and has children).
 */
import type { PatchMeta } from '../../api/types.js';
import { deepEqual, isObject, type JsonObject, type JsonValue } from './json-value.js';

export type FieldPath = readonly string[];

/** Metadata fields the server owns; they are never part of a manager's set. */
const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);

export class FieldSet {
  readonly #paths = new Map<string, FieldPath>();

  static of(paths: Iterable<FieldPath>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.add(p);
    return set;
  }
  add(path: FieldPath): void {
    this.#paths.set(JSON.stringify(path), path);
  }
  has(path: FieldPath): boolean {
    return this.#paths.has(JSON.stringify(path));
  }
  delete(path: FieldPath): void {
    this.#paths.delete(JSON.stringify(path));
  }
  get size(): number {
    return this.#paths.size;
  }
  paths(): FieldPath[] {
    return [...this.#paths.values()];
  }
  union(other: FieldSet): FieldSet {
    return FieldSet.of([...this.paths(), ...other.paths()]);
  }
  minus(other: FieldSet): FieldSet {
    return FieldSet.of(this.paths().filter((p) => !other.has(p)));
  }
  intersect(other: FieldSet): FieldSet {
    return FieldSet.of(this.paths().filter((p) => other.has(p)));
  }

  toFieldsV1(): JsonObject {
    const root: JsonObject = {};
    const sorted = this.paths().sort((a, b) => a.length - b.length);
    for (const path of sorted) {
      let node = root;
      for (const element of path) {
        const next = node[element];
        node = isObject(next) ? next : (node[element] = {});
      }
    }
    // A member that also has children is marked with "." so it survives the round trip.
    for (const path of sorted) {
      let node: JsonObject = root;
      for (const element of path) node = node[element] as JsonObject;
      if (Object.keys(node).some((k) => k !== '.')) node['.'] = {};
    }
    return root;
  }

  static fromFieldsV1(tree: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, path: string[]): void => {
      if (!isObject(node)) return;
      const keys = Object.keys(node).filter((k) => k !== '.');
      if (path.length > 0 && (keys.length === 0 || Object.hasOwn(node, '.'))) set.add(path);
      for (const key of keys) walk(node[key], [...path, key]);
    };
    walk(tree, []);
    return set;
  }
}

/** How server-side apply treats the list at a position. */
export function listTypeOf(meta: PatchMeta): 'atomic' | 'set' | 'map' {
  if (meta.listType) return meta.listType;
  if (!(meta.strategy ?? '').split(',').includes('merge')) return 'atomic';
  return meta.mergeKey !== undefined || meta.listMapKeys ? 'map' : 'set';
}

function mapKeysOf(meta: PatchMeta): readonly string[] {
  return meta.listMapKeys ?? (meta.mergeKey !== undefined ? [meta.mergeKey] : []);
}

/** The "k:" element of a list-map item: its key fields as JSON with keys in sorted order. */
export function itemKey(item: JsonObject, keys: readonly string[]): string {
  const picked: JsonObject = {};
  for (const key of [...keys].sort()) if (item[key] !== undefined) picked[key] = item[key]!;
  return `k:${JSON.stringify(picked)}`;
}

export interface FieldSetOptions {
  /** Leave out `status` (for the main resource of kinds with a status subresource). */
  readonly ignoreStatus?: boolean;
  /** Only `status` (for the status subresource). */
  readonly onlyStatus?: boolean;
}

/** Every field an object sets, as a FieldSet. */
export function fieldSetOf(object: JsonValue, meta: PatchMeta, options: FieldSetOptions = {}): FieldSet {
  const set = new FieldSet();
  if (!isObject(object)) return set;
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (options.ignoreStatus && key === 'status') continue;
    if (options.onlyStatus && key !== 'status') continue;
    if (key === 'metadata' && isObject(value)) {
      for (const [mkey, mvalue] of Object.entries(value)) {
        if (!SERVER_METADATA.has(mkey)) collect(mvalue, meta.field('metadata').field(mkey), ['f:metadata', `f:${mkey}`], set);
      }
      continue;
    }
    collect(value, meta.field(key), [`f:${key}`], set);
  }
  return set;
}

function collect(value: JsonValue, meta: PatchMeta, path: string[], set: FieldSet): void {
  if (Array.isArray(value)) {
    const type = listTypeOf(meta);
    if (type === 'atomic' || value.length === 0) {
      set.add(path);
      return;
    }
    if (type === 'set') {
      for (const item of value) set.add([...path, `v:${JSON.stringify(item)}`]);
      return;
    }
    const keys = mapKeysOf(meta);
    for (const item of value) {
      if (!isObject(item)) {
        set.add(path);
        return;
      }
      const itemPath = [...path, itemKey(item, keys)];
      set.add(itemPath);
      for (const [key, inner] of Object.entries(item)) collect(inner, meta.items().field(key), [...itemPath, `f:${key}`], set);
    }
    return;
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0 || meta.mapType === 'atomic') {
      set.add(path);
      return;
    }
    if (meta.mapType === 'granular') set.add(path);
    for (const [key, inner] of entries) collect(inner, meta.field(key), [...path, `f:${key}`], set);
    return;
  }
  set.add(path);
}

/** The value at a path (undefined when absent). */
export function valueAt(object: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let node: JsonValue | undefined = object;
  for (const element of path) {
    if (node === undefined) return undefined;
    const body = element.slice(2);
    if (element.startsWith('f:')) {
      node = isObject(node) ? node[body] : undefined;
    } else if (element.startsWith('k:')) {
      const keys = JSON.parse(body) as JsonObject;
      node = Array.isArray(node) ? node.find((item) => isObject(item) && Object.entries(keys).every(([k, v]) => deepEqual(item[k], v))) : undefined;
    } else if (element.startsWith('v:')) {
      const wanted = JSON.parse(body) as JsonValue;
      node = Array.isArray(node) && node.some((item) => deepEqual(item, wanted)) ? wanted : undefined;
    } else if (element.startsWith('i:')) {
      node = Array.isArray(node) ? node[Number(body)] : undefined;
    } else {
      return undefined;
    }
  }
  return node;
}

/** Removes the value at a path in place (no-op when absent). */
export function removeAt(object: JsonValue, path: FieldPath): void {
  const parent = valueAt(object, path.slice(0, -1));
  const last = path[path.length - 1];
  if (last === undefined || parent === undefined) return;
  const body = last.slice(2);
  if (last.startsWith('f:') && isObject(parent)) {
    delete parent[body];
  } else if (Array.isArray(parent)) {
    const target = valueAt(object, path);
    const index = parent.findIndex((item) => item === target || (last.startsWith('v:') && deepEqual(item, target)));
    if (index >= 0) parent.splice(index, 1);
  }
}
