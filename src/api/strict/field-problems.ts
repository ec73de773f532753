/**
 * Strict field validation (fieldValidation=Strict|Warn): fields the kind's schema does not
 * declare, and keys that appeared twice in the request body, with upstream's wording
 * (`unknown field "spec.foo"`, `duplicate field "metadata.name"`). Kinds without a declared
 * schema (custom resources) and free-form positions (preserve-unknown-fields, embedded raw
 * objects, JSON values) report nothing.
 */
import type { GroupVersionKind } from '../types.js';
import type { TypeExpr } from '../schema/dsl.js';
import { jsonFields, typeDef } from '../schema/registry.js';
import { definitionFor } from '../protobuf/envelope.js';

export interface FieldProblems {
  /** Paths of fields the schema does not know, in document order. */
  readonly unknown: string[];
  /** Paths of keys given more than once (from the body parser). */
  readonly duplicate: string[];
}

export interface FieldProblemOptions {
  /** Duplicate key paths reported by parseJsonWithDuplicates / parseYamlWithDuplicates. */
  readonly duplicates?: readonly string[];
}

/** The schema definition of a GVK (undefined: not declared, nothing to check). */
export function definitionOfKind(gvk: GroupVersionKind): string | undefined {
  return definitionFor(gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version, gvk.kind);
}

export function findFieldProblems(gvk: GroupVersionKind, object: unknown, options: FieldProblemOptions = {}): FieldProblems {
  const unknown: string[] = [];
  const definition = definitionOfKind(gvk);
  if (definition) walkType(object, { kind: 'ref', definition }, '', unknown);
  return { unknown, duplicate: [...(options.duplicates ?? [])] };
}

/** Problems checked against a definition directly (subresource bodies such as Scale). */
export function findFieldProblemsOf(definition: string, object: unknown, options: FieldProblemOptions = {}): FieldProblems {
  const unknown: string[] = [];
  walkType(object, { kind: 'ref', definition }, '', unknown);
  return { unknown, duplicate: [...(options.duplicates ?? [])] };
}

function walkType(value: unknown, type: TypeExpr, path: string, unknown: string[]): void {
  if (value === null || value === undefined) return;
  switch (type.kind) {
    case 'scalar':
      return; // type mismatches are decoding errors, not strict-field problems
    case 'list':
      if (Array.isArray(value)) value.forEach((item, i) => walkType(item, type.items, `${path}[${i}]`, unknown));
      return;
    case 'map':
      if (isObject(value)) for (const [key, item] of Object.entries(value)) walkType(item, type.values, join(path, key), unknown);
      return;
    case 'ref': {
      const def = typeDef(type.definition);
      if (!def || def.preserveUnknown || !isObject(value)) return;
      const fields = jsonFields(def);
      for (const [key, item] of Object.entries(value)) {
        const field = fields.get(key);
        const at = join(path, key);
        if (!field) unknown.push(at);
        else if (!field.preserveUnknown) walkType(item, field.type, at, unknown);
      }
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** One message per problem, as upstream words them (Warning headers carry these one by one). */
export function fieldProblemMessages(problems: FieldProblems): string[] {
  return [...problems.unknown.map((p) => `unknown field "${p}"`), ...problems.duplicate.map((p) => `duplicate field "${p}"`)];
}

/** The Strict failure text: `strict decoding error: unknown field "spec.foo", duplicate field "x"`. */
export function strictDecodingError(problems: FieldProblems): string | undefined {
  const messages = fieldProblemMessages(problems);
  return messages.length ? `strict decoding error: ${messages.join(', ')}` : undefined;
}
