/** RFC 7386 JSON Merge Patch (application/merge-patch+json): objects merge, null deletes, the rest replaces. */
import { PatchError } from './errors.js';
import { deepClone, isObject, type JsonValue } from './json-value.js';

export function applyMergePatch(document: JsonValue, patch: unknown): JsonValue {
  if (!isObject(patch)) {
    if (patch === undefined) throw new PatchError('malformed', 'empty merge patch');
    return deepClone(patch as JsonValue);
  }
  return merge(document, patch);
}

function merge(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return deepClone(patch);
  const out = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = merge(out[key], value);
  }
  return out;
}
