/**
 * metadata.managedFields bookkeeping: who set which field, by operation (Apply or Update).
 * Every write records its manager: an Update takes ownership of the fields it changed away from
 * everyone else; fields that disappear leave every set.
 */
import type { PatchMeta } from '../../api/types.js';
import { FieldSet, fieldSetOf, valueAt, type FieldSetOptions } from './field-set.js';
import { deepEqual, isObject, type JsonObject, type JsonValue } from './json-value.js';

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: FieldSet;
}

export function parseManagedFields(object: JsonValue | undefined): ManagedEntry[] {
  const list = isObject(object) && isObject(object.metadata) ? object.metadata.managedFields : undefined;
  if (!Array.isArray(list)) return [];
  const out: ManagedEntry[] = [];
  for (const raw of list) {
    if (!isObject(raw) || typeof raw.manager !== 'string') continue;
    const entry: ManagedEntry = {
      manager: raw.manager,
      operation: raw.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : '',
      time: typeof raw.time === 'string' ? raw.time : '',
      fields: FieldSet.fromFieldsV1(raw.fieldsV1),
    };
    if (typeof raw.subresource === 'string' && raw.subresource) entry.subresource = raw.subresource;
    out.push(entry);
  }
  return out;
}

export function serializeManagedFields(entries: readonly ManagedEntry[]): JsonObject[] {
  return entries
    .filter((e) => e.fields.size > 0)
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1',
      fieldsV1: e.fields.toFieldsV1(),
      ...(e.subresource ? { subresource: e.subresource } : {}),
    }));
}

/** RFC 3339 at whole seconds, as metav1.Time serializes. */
export function managedTime(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

export interface UpdateRecord {
  /** The object before the write (undefined on create). */
  readonly old: JsonValue | undefined;
  /** The object being stored; its metadata.managedFields is replaced. */
  readonly updated: JsonObject;
  readonly manager: string;
  readonly apiVersion: string;
  readonly meta: PatchMeta;
  readonly now: Date;
  readonly subresource?: string;
  readonly fieldSetOptions?: FieldSetOptions;
}

/** Records a create/update/non-apply patch in `updated.metadata.managedFields`. */
export function recordUpdate(record: UpdateRecord): void {
  const { old, updated, manager, meta } = record;
  const entries = parseManagedFields(old);
  const before = old === undefined ? new FieldSet() : fieldSetOf(old, meta, record.fieldSetOptions);
  const after = fieldSetOf(updated, meta, record.fieldSetOptions);
  const changed = FieldSet.of(after.paths().filter((p) => !before.has(p) || !deepEqual(valueAt(old, p), valueAt(updated, p))));
  const gone = before.minus(after);
  for (const entry of entries) entry.fields = entry.fields.minus(changed).minus(gone);
  const subresource = record.subresource;
  let mine = entries.find((e) => e.manager === manager && e.operation === 'Update' && e.subresource === subresource);
  if (!mine) {
    mine = { manager, operation: 'Update', apiVersion: record.apiVersion, time: '', fields: new FieldSet(), ...(subresource ? { subresource } : {}) };
    entries.push(mine);
  }
  if (changed.size > 0) {
    mine.fields = mine.fields.union(changed);
    mine.time = managedTime(record.now);
    mine.apiVersion = record.apiVersion;
  }
  setManagedFields(updated, entries);
}

export function setManagedFields(object: JsonObject, entries: readonly ManagedEntry[]): void {
  const metadata = isObject(object.metadata) ? object.metadata : (object.metadata = {});
  const serialized = serializeManagedFields(entries);
  if (serialized.length > 0) metadata.managedFields = serialized;
  else delete metadata.managedFields;
}

/**
 * The field manager for a request without ?fieldManager: upstream takes the User-Agent's program
 * name ("kubectl/v1.32.0 (linux/amd64) ..." -> "kubectl"), capped at 128 characters.
 */
export function defaultFieldManager(userAgent: string | undefined): string {
  const name = (userAgent ?? '').split('/')[0]?.trim() ?? '';
  return (name || 'unknown').slice(0, 128);
}
