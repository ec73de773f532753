/**
 * Field errors worded as upstream's field.ErrorList renders them, so kubectl prints the same
 * "The Pod "x" is invalid: spec.containers[0].image: Required value" a user would see from
 * upstream. `message` is the error body (what follows "field: "), `reason` the Status cause type.
 */
import type { FieldError } from '../types.js';

/** The bad value as Go's %q / %v / %#v prints it in "Invalid value: <value>". */
export function goValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
  }
  if (typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')) {
    // Go prints maps with sorted keys.
    const entries = Object.entries(value as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

const withDetail = (body: string, detail: string): string => (detail ? `${body}: ${detail}` : body);

export function required(field: string, detail = ''): FieldError {
  return { field, reason: 'FieldValueRequired', message: withDetail('Required value', detail) };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { field, reason: 'FieldValueInvalid', message: withDetail(`Invalid value: ${goValue(value)}`, detail) };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length > 0 ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : '';
  return { field, reason: 'FieldValueNotSupported', message: withDetail(`Unsupported value: ${goValue(value)}`, detail) };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${goValue(value)}` };
}

export function notFound(field: string, value: unknown): FieldError {
  return { field, reason: 'FieldValueNotFound', message: `Not found: ${goValue(value)}` };
}

export function forbidden(field: string, detail: string): FieldError {
  return { field, reason: 'FieldValueForbidden', message: withDetail('Forbidden', detail) };
}

export function tooLong(field: string, maxBytes: number): FieldError {
  return { field, reason: 'FieldValueTooLong', message: `Too long: must have at most ${maxBytes} bytes` };
}

/** "field: message" as one line of the aggregate. */
export function errorText(error: FieldError): string {
  return error.field ? `${error.field}: ${error.message}` : error.message;
}

/**
 * The Status message of a 422: `Pod "web" is invalid: <one error>` or
 * `... is invalid: [<error>, <error>]` (duplicates dropped, as upstream's aggregate does).
 * `qualifiedKind` is "Pod", "Deployment.apps", ...
 */
export function invalidMessage(qualifiedKind: string, name: string, errors: readonly FieldError[]): string {
  const texts = [...new Set(errors.map(errorText))];
  const aggregate = texts.length === 1 ? (texts[0] ?? '') : `[${texts.join(', ')}]`;
  return `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${aggregate}`;
}

/** Upstream's ValidateImmutableField. */
export function immutable(field: string, next: unknown, previous: unknown): FieldError[] {
  return deepEqual(next, previous) ? [] : [invalid(field, next, 'field is immutable')];
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
