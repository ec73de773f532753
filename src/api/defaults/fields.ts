/**
 * In-place helpers for defaulting untyped JSON. Go's encoder decides what a default looks like
 * on the wire: structs always serialise (so `spec`, `resources: {}` appear once defaulted),
 * empty maps and lists never do. These helpers create only what upstream would then print.
 */
export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The object at `key`, created empty when absent (for Go struct fields, which always print). */
export function child(parent: Json, key: string): Json {
  const value = parent[key];
  if (isObject(value)) return value;
  const created: Json = {};
  parent[key] = created;
  return created;
}

/** The object at `key` if it is one; nothing is created (Go pointer fields). */
export function optionalChild(parent: Json, key: string): Json | undefined {
  const value = parent[key];
  return isObject(value) ? value : undefined;
}

/** The objects of the list at `key` (absent or malformed lists give none). */
export function items(parent: Json | undefined, key: string): Json[] {
  const value = parent?.[key];
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** Sets `key` when it is absent, null or (for strings) empty: Go's zero value means "unset". */
export function setDefault(target: Json, key: string, value: unknown): void {
  const current = target[key];
  if (current === undefined || current === null || current === '') target[key] = value;
}

export const isEmpty = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (isObject(value) && Object.keys(value).length === 0);
