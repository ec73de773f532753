/**
 * Custom resources: the same services the declared schemas give built-in kinds (unknown fields,
 * server-side-apply metadata, an OpenAPI definition), computed from a CRD version's
 * openAPIV3Schema (a structural schema). Unknown fields are those upstream's pruning would drop:
 * keys an object schema does not declare, unless it preserves unknown fields or has
 * additionalProperties; apiVersion, kind and metadata are known at the root and in embedded
 * resources.
 */
import type { PatchMeta } from '../types.js';
import { jsonFields, typeDef } from './registry.js';

/** The subset of JSONSchemaProps these services read. */
export interface StructuralSchema {
  readonly type?: string;
  readonly description?: string;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, StructuralSchema>>;
  readonly items?: StructuralSchema;
  readonly additionalProperties?: StructuralSchema | boolean;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: string;
  readonly [other: string]: unknown;
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';

/** Upstream's OpenAPI name of a custom kind: the group reversed, e.g. com.example.v1.Chart. */
export function customDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/** Paths of fields the structural schema would prune, in document order. */
export function unknownFieldsBySchema(schema: StructuralSchema, object: unknown): string[] {
  const unknown: string[] = [];
  walk(schema, object, '', true, unknown);
  return unknown;
}

function walk(schema: StructuralSchema | undefined, value: unknown, path: string, resource: boolean, unknown: string[]): void {
  if (!schema || value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(schema.items, item, `${path}[${i}]`, schema.items?.['x-kubernetes-embedded-resource'] === true, unknown));
    return;
  }
  if (typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  for (const [key, item] of Object.entries(object)) {
    const at = path ? `${path}.${key}` : key;
    if (resource && (key === 'apiVersion' || key === 'kind')) continue;
    if (resource && key === 'metadata') {
      metadataProblems(item, at, unknown);
      continue;
    }
    const declared = schema.properties?.[key];
    if (declared) walk(declared, item, at, declared['x-kubernetes-embedded-resource'] === true, unknown);
    else if (typeof schema.additionalProperties === 'object') {
      walk(schema.additionalProperties, item, at, schema.additionalProperties['x-kubernetes-embedded-resource'] === true, unknown);
    } else if (schema.additionalProperties !== true && schema['x-kubernetes-preserve-unknown-fields'] !== true) unknown.push(at);
  }
}

/** metadata is ObjectMeta whatever the CRD says; its unknown fields are reported too. */
function metadataProblems(value: unknown, path: string, unknown: string[]): void {
  const meta = typeDef(OBJECT_META);
  if (!meta || typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const fields = jsonFields(meta);
  for (const key of Object.keys(value)) if (!fields.has(key)) unknown.push(`${path}.${key}`);
}

const EMPTY: PatchMeta = { field: () => EMPTY, items: () => EMPTY };

/** Server-side apply metadata from x-kubernetes-list-type / list-map-keys / map-type. */
export function patchMetaFromSchema(schema: StructuralSchema | undefined): PatchMeta {
  if (!schema) return EMPTY;
  const listType = schema['x-kubernetes-list-type'];
  const mapType = schema['x-kubernetes-map-type'];
  const keys = schema['x-kubernetes-list-map-keys'];
  const isMap = schema.type === 'object' && schema.additionalProperties !== undefined && !schema.properties;
  return {
    ...(listType === 'atomic' || listType === 'set' || listType === 'map' ? { listType } : schema.type === 'array' ? { listType: 'atomic' as const } : {}),
    ...(keys ? { listMapKeys: [...keys] } : {}),
    ...(mapType === 'atomic' || mapType === 'granular' ? { mapType } : isMap ? { mapType: 'granular' as const } : {}),
    field: (name) => {
      const declared = schema.properties?.[name];
      if (declared) return patchMetaFromSchema(declared);
      return typeof schema.additionalProperties === 'object' ? patchMetaFromSchema(schema.additionalProperties) : EMPTY;
    },
    items: () => patchMetaFromSchema(schema.items ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined)),
  };
}

/**
 * The OpenAPI v3 definitions of a custom kind and its list: the CRD's schema with apiVersion,
 * kind and metadata filled in, tagged with x-kubernetes-group-version-kind.
 */
export function customOpenApiDefinitions(group: string, version: string, kind: string, listKind: string, schema: StructuralSchema | undefined): Record<string, Record<string, unknown>> {
  const definition = customDefinitionName(group, version, kind);
  const root: StructuralSchema = schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const gvk = (k: string): unknown => [{ group, kind: k, version }];
  return {
    [definition]: {
      ...root,
      type: 'object',
      properties: {
        ...(root.properties ?? {}),
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }], default: {} },
      },
      'x-kubernetes-group-version-kind': gvk(kind),
    },
    [customDefinitionName(group, version, listKind)]: {
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        items: { type: 'array', items: { $ref: `#/components/schemas/${definition}` } },
        metadata: { allOf: [{ $ref: `#/components/schemas/${LIST_META}` }], default: {} },
      },
      'x-kubernetes-group-version-kind': gvk(listKind),
    },
  };
}
