/**
 * Tolerant readers for untyped JSON objects: printers must render whatever is stored, so a
 * missing or mistyped field reads as the zero value Go's decoder would have produced.
 */
export type Obj = Record<string, unknown>;

export function obj(value: unknown): Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {};
}
export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
/** Dotted-path read: at(pod, 'status', 'phase'). */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = obj(current)[key];
  return current;
}
