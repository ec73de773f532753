/**
 * The patch engine: the three patch formats of PATCH requests, as pure functions over JSON.
 * server-side apply (application/apply-patch+yaml), and metadata.managedFields bookkeeping for
 * every write (`recordUpdate`). The registry calls these; they never touch storage.
 */
export { PatchError } from './errors.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch, NO_PATCH_META } from './strategic-merge-patch.js';
export type { JsonObject, JsonValue } from './json-value.js';
export { ApplyConflictError, serverSideApply, type ApplyConflict, type ApplyInput } from './apply.js';
export { FieldSet, fieldSetOf, type FieldSetOptions } from './field-set.js';
export { defaultFieldManager, parseManagedFields, recordUpdate, type UpdateRecord } from './managed-fields.js';

/** The patch content types the API accepts, by Content-Type. */
export const PATCH_TYPES = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply-cbor',
} as const;
