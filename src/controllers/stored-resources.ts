/** The stored resource types a controller must sweep (namespace deletion, garbage collection). */
import { Catalogue } from '../api/catalogue.js';
import type { ResourceInfo } from '../api/types.js';

/**
 * One ResourceInfo per storage location (several group/versions may serve the same stored
 * objects, e.g. core and events.k8s.io events), for kinds that can be listed and deleted.
 */
export function storedResources(catalogue: Catalogue = new Catalogue()): ResourceInfo[] {
  const seen = new Set<string>();
  const out: ResourceInfo[] = [];
  for (const info of catalogue.all()) {
    if (!info.storageResource || !info.verbs.includes('list') || !info.verbs.includes('delete')) continue;
    if (seen.has(info.storageResource)) continue;
    seen.add(info.storageResource);
    out.push(info);
  }
  return out;
}
