/**
 * Server-side apply (PATCH with application/apply-patch+yaml): the applied configuration is the
 * manager's whole intent. Fields it sets that another manager owns with a different value are
 * conflicts (409 unless force=true, which takes them over); fields it set last time and no
 * longer sets are removed unless someone else owns them; everything else merges like a strategic
 * merge, by list-map keys.
 */
import type { PatchMeta } from '../../api/types.js';
import { PatchError } from './errors.js';
import { FieldSet, fieldSetOf, itemKey, listTypeOf, removeAt, valueAt, type FieldPath, type FieldSetOptions } from './field-set.js';
import { deepClone, deepEqual, isObject, type JsonObject, type JsonValue } from './json-value.js';
import { managedTime, parseManagedFields, setManagedFields } from './managed-fields.js';

export interface ApplyConflict {
  readonly manager: string;
  /** Upstream's dotted rendering, e.g. ".spec.replicas" or `.spec.containers[name="web"].image`. */
  readonly field: string;
}

export class ApplyConflictError extends Error {
  override readonly name = 'ApplyConflictError';
  constructor(
    readonly conflicts: readonly ApplyConflict[],
    apiVersion: string,
  ) {
    const lines = conflicts.map((c) => `conflict with "${c.manager}"${apiVersion ? ` using ${apiVersion}` : ''}: ${c.field}`);
    super(`Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${lines.join('\n')}`);
  }
}

export interface ApplyInput {
  /** The stored object, undefined when apply creates it. */
  readonly live: JsonObject | undefined;
  /** The applied configuration (parsed YAML/JSON). */
  readonly applied: JsonObject;
  readonly manager: string;
  readonly force: boolean;
  readonly apiVersion: string;
  readonly meta: PatchMeta;
  readonly now: Date;
  readonly subresource?: string;
  readonly fieldSetOptions?: FieldSetOptions;
}

export function serverSideApply(input: ApplyInput): JsonObject {
  const { live, applied, manager, meta } = input;
  if (!isObject(applied)) throw new PatchError('malformed', 'an apply configuration must be an object');
  const entries = parseManagedFields(live);
  const appliedSet = fieldSetOf(applied, meta, input.fieldSetOptions);
  const subresource = input.subresource;
  const isMine = (e: { manager: string; operation: string; subresource?: string }): boolean =>
    e.manager === manager && e.operation === 'Apply' && e.subresource === subresource;

  const conflicts: ApplyConflict[] = [];
  // Only leaves can conflict: a map or list item that both managers touch is shared structure,
  // and its children decide (a defaulted field inside it must not make the whole item conflict).
  const interior = new Set<string>();
  for (const path of appliedSet.paths()) {
    for (let i = 1; i < path.length; i++) interior.add(JSON.stringify(path.slice(0, i)));
  }
  for (const entry of entries) {
    if (isMine(entry)) continue;
    for (const path of entry.fields.intersect(appliedSet).paths()) {
      if (interior.has(JSON.stringify(path))) continue;
      if (deepEqual(valueAt(live, path), valueAt(applied, path))) continue;
      if (input.force) entry.fields.delete(path);
      else conflicts.push({ manager: entry.manager, field: renderPath(path) });
    }
  }
  if (conflicts.length > 0) throw new ApplyConflictError(conflicts, input.apiVersion);

  const previous = entries.find(isMine)?.fields ?? new FieldSet();
  const others = entries.filter((e) => !isMine(e)).reduce((acc, e) => acc.union(e.fields), new FieldSet());
  const dropped = previous.minus(appliedSet).minus(others).paths();
  const base: JsonObject = live ? deepClone(live) : {};
  // List items no longer applied go whole, outermost first (removing their key fields first would
  // leave a keyless remainder, e.g. a port with only its defaulted protocol); then plain fields,
  // innermost first.
  const isItem = (path: FieldPath): boolean => /^[kv]:/.test(path[path.length - 1] ?? '');
  for (const path of dropped.filter(isItem).sort((a, b) => a.length - b.length)) removeAt(base, path);
  for (const path of dropped.filter((p) => !isItem(p)).sort((a, b) => b.length - a.length)) removeAt(base, path);

  const merged = mergeApplied(base, applied, meta) as JsonObject;
  const mine = entries.find(isMine);
  if (mine) {
    mine.fields = appliedSet;
    mine.time = managedTime(input.now);
    mine.apiVersion = input.apiVersion;
  } else {
    entries.push({ manager, operation: 'Apply', apiVersion: input.apiVersion, time: managedTime(input.now), fields: appliedSet, ...(subresource ? { subresource } : {}) });
  }
  setManagedFields(merged, entries);
  return merged;
}

function mergeApplied(base: JsonValue | undefined, applied: JsonValue, meta: PatchMeta): JsonValue {
  if (Array.isArray(applied)) {
    const current = Array.isArray(base) ? base : [];
    const type = listTypeOf(meta);
    if (type === 'atomic') return deepClone(applied);
    if (type === 'set') return [...current, ...applied.filter((v) => !current.some((c) => deepEqual(c, v)))];
    const keys = meta.listMapKeys ?? (meta.mergeKey !== undefined ? [meta.mergeKey] : []);
    const out = current.map((item) => deepClone(item));
    for (const item of applied) {
      if (!isObject(item)) return deepClone(applied);
      const key = itemKey(item, keys);
      const index = out.findIndex((existing) => isObject(existing) && itemKey(existing, keys) === key);
      if (index >= 0) out[index] = mergeApplied(out[index], item, meta.items());
      else out.push(mergeApplied({}, item, meta.items()));
    }
    return out;
  }
  if (isObject(applied)) {
    const out: JsonObject = isObject(base) ? { ...base } : {};
    for (const [key, value] of Object.entries(applied)) {
      if (value === null) delete out[key];
      else out[key] = mergeApplied(out[key], value, meta.field(key));
    }
    return out;
  }
  return applied;
}

/** ".spec.containers[name=\"web\"].image", as upstream prints conflicting fields. */
export function renderPath(path: FieldPath): string {
  let out = '';
  for (const element of path) {
    const body = element.slice(2);
    if (element.startsWith('f:')) out += `.${body}`;
    else if (element.startsWith('k:')) {
      const keys = JSON.parse(body) as JsonObject;
      out += `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    } else if (element.startsWith('v:')) out += `[=${body}]`;
    else out += `[${body}]`;
  }
  return out;
}
