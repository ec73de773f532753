/**
 * System fields of metadata the server owns (uid, creationTimestamp, generation, generated names)
 * and the checks every kind shares before an object can become a datastore key.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { FieldError, KubeObject, ResourceInfo } from '../../api/types.js';
import { badRequest } from '../errors.js';

/** metav1.Time: RFC 3339 at whole seconds. */
export function metaTime(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

// Upstream's generateName suffix alphabet: no vowels (no accidental words) and no look-alikes.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_NAME = 63 - 5;

export function generateName(base: string): string {
  const prefix = base.length > MAX_GENERATED_NAME ? base.slice(0, MAX_GENERATED_NAME) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return prefix + suffix;
}

export function newUid(): string {
  return randomUUID();
}

/**
 * Names must be usable as one path segment of a key and a URL (upstream's IsValidPathSegmentName,
 * applied to every kind); the kind-specific syntax (DNS-1123) is the metadata validator's.
 */
export function pathSegmentErrors(name: string, field = 'metadata.name'): FieldError[] {
  if (name === '.' || name === '..') return [{ field, reason: 'FieldValueInvalid', message: `Invalid value: "${name}": may not be '${name}'` }];
  for (const bad of ['/', '%']) {
    if (name.includes(bad)) return [{ field, reason: 'FieldValueInvalid', message: `Invalid value: "${name}": may not contain '${bad}'` }];
  }
  return [];
}

/** The metadata checks the server needs regardless of kind: a name, safe as a key segment. */
export function baseMetaErrors(info: ResourceInfo, object: KubeObject): FieldError[] {
  const meta = object.metadata ?? {};
  const errors: FieldError[] = [];
  if (typeof meta.name !== 'string' || meta.name === '') {
    errors.push({ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' });
  } else {
    errors.push(...pathSegmentErrors(meta.name));
  }
  if (info.namespaced && (typeof meta.namespace !== 'string' || meta.namespace === '')) {
    errors.push({ field: 'metadata.namespace', reason: 'FieldValueRequired', message: 'Required value' });
  }
  return errors;
}

/** The group/version a resource's objects carry in apiVersion. */
export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/**
 * The body must be an object of the endpoint's kind; missing apiVersion/kind are filled in (the
 * decoder defaults them from the endpoint, as upstream's does).
 */
export function checkKind(info: Pick<ResourceInfo, 'group' | 'version' | 'kind'>, object: unknown, expectedKind: string = info.kind, expectedApiVersion = apiVersionOf(info)): KubeObject {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw badRequest(`the body of the request must be a JSON or YAML object of kind ${expectedKind}`);
  }
  const o = object as KubeObject;
  if (o.apiVersion === undefined || o.apiVersion === '') o.apiVersion = expectedApiVersion;
  if (o.kind === undefined || o.kind === '') o.kind = expectedKind;
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') throw badRequest('apiVersion and kind must be strings');
  if (o.kind !== expectedKind) {
    throw badRequest(`the object provided is unrecognized (must be of type ${expectedKind}): kind "${o.kind}" is not "${expectedKind}"`);
  }
  if (o.apiVersion !== expectedApiVersion) {
    throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${expectedApiVersion})`);
  }
  if (o.metadata !== undefined && (o.metadata === null || typeof o.metadata !== 'object' || Array.isArray(o.metadata))) {
    throw badRequest('metadata must be an object');
  }
  o.metadata ??= {};
  return o;
}

/** The parts of an object that are neither metadata nor status: what bumps generation. */
export function specChanged(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return JSON.stringify(sortKeys(rest));
  };
  return strip(a) !== strip(b);
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
