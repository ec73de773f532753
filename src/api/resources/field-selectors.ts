/**
 * Field-selector value extractors. Upstream answers "" for a supported field the object leaves
 * unset (so `spec.nodeName=` finds unscheduled pods), and renders booleans as "true"/"false".
 */
import type { KubeObject } from '../types.js';

type Extractor = (object: KubeObject) => string;

/** The value at a dotted path ("spec.nodeName"), rendered as a selector compares it. */
export function fieldAt(path: string): Extractor {
  const parts = path.split('.');
  return (object) => {
    let at: unknown = object;
    for (const part of parts) {
      if (at === null || typeof at !== 'object') return '';
      at = (at as Record<string, unknown>)[part];
    }
    if (typeof at === 'string') return at;
    if (typeof at === 'boolean' || typeof at === 'number') return String(at);
    return path.endsWith('hostNetwork') || path.endsWith('unschedulable') ? 'false' : '';
  };
}

/** Extractors for each listed path, keyed by the path itself. */
export function selectors(...paths: string[]): Readonly<Record<string, Extractor>> {
  return Object.fromEntries(paths.map((p) => [p, fieldAt(p)]));
}
