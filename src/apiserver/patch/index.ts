/**
 * The patch engine: the three patch formats of PATCH requests, as pure functions over JSON.
 * Server-side apply (application/apply-patch+yaml) builds on these in the registry.
 */
export { PatchError } from './errors.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch, NO_PATCH_META } from './strategic-merge-patch.js';
export type { JsonObject, JsonValue } from './json-value.js';

/** The patch content types the API accepts, by Content-Type. */
export const PATCH_TYPES = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply-cbor',
} as const;
