/**
 * OpenAPI schema objects for declared types, in the two dialects kubectl reads: v2 (swagger,
 * refs into #/definitions) and v3 (refs into #/components/schemas, wrapped in allOf as upstream
 * does so siblings such as `default` stay meaningful).
 */
import type { FieldDef, ScalarName, TypeDef, TypeExpr } from '../schema/dsl.js';
import { jsonFields, refsOf, typeDef } from '../schema/registry.js';
import type { GroupVersionKind } from '../types.js';

export type Dialect = 'v2' | 'v3';
export type SchemaObject = Record<string, unknown>;

export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
export const MICRO_TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';
export const DURATION = 'io.k8s.apimachinery.pkg.apis.meta.v1.Duration';
export const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
export const FIELDS_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1';
export const JSON_VALUE = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON';
export const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

/** apimachinery types whose JSON form is a scalar or free-form value. */
const SPECIAL: Readonly<Record<string, SchemaObject>> = {
  [QUANTITY]: { type: 'string', description: 'A fixed-point number with an optional suffix, e.g. 100m, 1.5Gi.' },
  [INT_OR_STRING]: { type: 'string', format: 'int-or-string', description: 'An integer or a string.' },
  [TIME]: { type: 'string', format: 'date-time', description: 'RFC 3339 time at second precision.' },
  [MICRO_TIME]: { type: 'string', format: 'date-time', description: 'RFC 3339 time at microsecond precision.' },
  [DURATION]: { type: 'string', description: 'A duration such as 1h2m3s.' },
  [RAW_EXTENSION]: { type: 'object', description: 'An embedded object.' },
  [FIELDS_V1]: { type: 'object', description: 'A set of fields, as server-side apply records them.' },
  [JSON_VALUE]: { description: 'Any JSON value.', 'x-kubernetes-preserve-unknown-fields': true },
  [PATCH]: { type: 'object', description: 'A patch in one of the formats the request Content-Type names.' },
};

const SPECIAL_BY_SCALAR: Partial<Record<ScalarName, string>> = {
  quantity: QUANTITY,
  intstr: INT_OR_STRING,
  time: TIME,
  microtime: MICRO_TIME,
  duration: DURATION,
  raw: RAW_EXTENSION,
  fieldsv1: FIELDS_V1,
  json: JSON_VALUE,
};

export function refPath(definition: string, dialect: Dialect): string {
  return dialect === 'v2' ? `#/definitions/${definition}` : `#/components/schemas/${definition}`;
}

export function refTo(definition: string, dialect: Dialect): SchemaObject {
  return { $ref: refPath(definition, dialect) };
}

function typeSchema(type: TypeExpr, dialect: Dialect): SchemaObject {
  switch (type.kind) {
    case 'list':
      return { type: 'array', items: typeSchema(type.items, dialect) };
    case 'map':
      return { type: 'object', additionalProperties: typeSchema(type.values, dialect) };
    case 'ref':
      return refTo(type.definition, dialect);
    case 'scalar': {
      const special = SPECIAL_BY_SCALAR[type.name];
      if (special) return refTo(special, dialect);
      return scalarSchema(type.name);
    }
  }
}

function scalarSchema(name: ScalarName): SchemaObject {
  switch (name) {
    case 'bool':
      return { type: 'boolean' };
    case 'int32':
    case 'uint32':
      return { type: 'integer', format: 'int32' };
    case 'int64':
    case 'uint64':
      return { type: 'integer', format: 'int64' };
    case 'double':
      return { type: 'number', format: 'double' };
    case 'float':
      return { type: 'number', format: 'float' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    default:
      return { type: 'string' };
  }
}

function fieldSchema(field: FieldDef, dialect: Dialect): SchemaObject {
  let schema = typeSchema(field.type, dialect);
  const extensions: SchemaObject = {};
  if (field.enum) extensions.enum = [...field.enum];
  if (field.patchStrategy) extensions['x-kubernetes-patch-strategy'] = field.patchStrategy;
  if (field.mergeKey !== undefined) extensions['x-kubernetes-patch-merge-key'] = field.mergeKey;
  if (field.listType) extensions['x-kubernetes-list-type'] = field.listType;
  if (field.listMapKeys) extensions['x-kubernetes-list-map-keys'] = [...field.listMapKeys];
  if (field.mapType) extensions['x-kubernetes-map-type'] = field.mapType;
  if (field.preserveUnknown) extensions['x-kubernetes-preserve-unknown-fields'] = true;
  if ('$ref' in schema) {
    if (dialect === 'v3') {
      // OpenAPI 3.0 ignores siblings of $ref: wrap it, as upstream does; structs default to {}.
      const isStruct = field.type.kind === 'ref' && !Object.values(SPECIAL_BY_SCALAR).includes(field.type.definition);
      schema = { allOf: [schema], ...(isStruct ? { default: {} } : {}) };
    } else if (Object.keys(extensions).length === 0) return schema;
  }
  if (field.type.kind === 'list' && field.type.items.kind === 'ref' && dialect === 'v3') {
    schema = { ...schema, items: { allOf: [schema.items], default: {} } };
  }
  return { ...schema, ...extensions };
}

/** The schema object of one declared type (or of an apimachinery special type). */
export function definitionSchema(definition: string, dialect: Dialect, kinds: readonly GroupVersionKind[] = []): SchemaObject {
  const special = SPECIAL[definition];
  if (special) return special;
  const type = typeDef(definition);
  if (!type) throw new Error(`no schema declared for ${definition}`);
  return structSchema(type, dialect, kinds);
}

function structSchema(type: TypeDef, dialect: Dialect, kinds: readonly GroupVersionKind[]): SchemaObject {
  const properties: SchemaObject = {};
  const required: string[] = [];
  for (const [name, field] of [...jsonFields(type)].sort(([a], [b]) => a.localeCompare(b))) {
    properties[name] = fieldSchema(field, dialect);
    if (field.required) required.push(name);
  }
  return {
    description: describe(type),
    type: 'object',
    ...(Object.keys(properties).length ? { properties } : {}),
    ...(required.length ? { required: required.sort() } : {}),
    ...(type.mapType ? { 'x-kubernetes-map-type': type.mapType } : {}),
    ...(type.preserveUnknown ? { 'x-kubernetes-preserve-unknown-fields': true } : {}),
    ...(kinds.length ? { 'x-kubernetes-group-version-kind': kinds.map((k) => ({ group: k.group, kind: k.kind, version: k.version })) } : {}),
  };
}

/** Our own one-line description: the type's name, split into words (upstream's prose is theirs). */
function describe(type: TypeDef): string {
  return `${type.name.replace(/([a-z0-9])([A-Z])/g, '$1 $2')} (${type.definition.replace(/\.[^.]+$/, '')}).`;
}

/** All definitions reachable from the given roots (the roots included). */
export function definitionClosure(roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const definition = stack.pop() as string;
    if (seen.has(definition)) continue;
    seen.add(definition);
    const type = typeDef(definition);
    if (!type) continue;
    for (const field of type.fields) {
      for (const ref of refsOf(field.type)) stack.push(ref);
      if (field.type.kind === 'scalar' || (field.type.kind !== 'ref' && leafScalar(field.type))) {
        const special = SPECIAL_BY_SCALAR[leafScalar(field.type) ?? 'string'];
        if (special) stack.push(special);
      }
    }
  }
  return seen;
}

function leafScalar(type: TypeExpr): ScalarName | undefined {
  if (type.kind === 'scalar') return type.name;
  if (type.kind === 'list') return leafScalar(type.items);
  if (type.kind === 'map') return leafScalar(type.values);
  return undefined;
}
