/**
 * How objects are stored: JSON bytes without metadata.resourceVersion (the datastore's
 * modRevision is the resourceVersion, set again on every read, as upstream's etcd3 store does).
 */
import type { KubeObject } from '../../api/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeObject(object: KubeObject): Uint8Array {
  const metadata = object.metadata ?? {};
  if (metadata.resourceVersion === undefined) return encoder.encode(JSON.stringify(object));
  const { resourceVersion: _rv, ...rest } = metadata;
  return encoder.encode(JSON.stringify({ ...object, metadata: rest }));
}

/** Decodes a stored value and stamps resourceVersion = the key's modRevision. */
export function decodeObject(value: Uint8Array, modRevision: number): KubeObject {
  const object = JSON.parse(decoder.decode(value)) as KubeObject;
  object.metadata = { ...(object.metadata ?? {}), resourceVersion: String(modRevision) };
  return object;
}
