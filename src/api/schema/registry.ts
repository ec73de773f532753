/**
 * Every type declared in defs/, by OpenAPI definition name, with inline (embedded) fields
 * flattened into their parent as JSON sees them. Built once on first use.
 */
import { ADMISSIONREGISTRATION_V1 } from './defs/admissionregistration-v1.js';
import { APIEXTENSIONS_V1 } from './defs/apiextensions-v1.js';
import { APIREGISTRATION_V1 } from './defs/apiregistration-v1.js';
import { APPS_V1 } from './defs/apps-v1.js';
import { AUTHENTICATION_V1 } from './defs/authentication-v1.js';
import { AUTHORIZATION_V1 } from './defs/authorization-v1.js';
import { AUTOSCALING_V1 } from './defs/autoscaling-v1.js';
import { AUTOSCALING_V2 } from './defs/autoscaling-v2.js';
import { BATCH_V1 } from './defs/batch-v1.js';
import { CERTIFICATES_V1 } from './defs/certificates-v1.js';
import { COORDINATION_V1 } from './defs/coordination-v1.js';
import { CORE_V1 } from './defs/core-v1.js';
import { DISCOVERY_V1 } from './defs/discovery-v1.js';
import { EVENTS_V1 } from './defs/events-v1.js';
import { FLOWCONTROL_V1 } from './defs/flowcontrol-v1.js';
import { META_V1 } from './defs/meta-v1.js';
import { METRICS_V1BETA1 } from './defs/metrics-v1beta1.js';
import { NETWORKING_V1 } from './defs/networking-v1.js';
import { NODE_V1 } from './defs/node-v1.js';
import { POLICY_V1 } from './defs/policy-v1.js';
import { RBAC_V1 } from './defs/rbac-v1.js';
import { RUNTIME } from './defs/runtime.js';
import { SCHEDULING_V1 } from './defs/scheduling-v1.js';
import { STORAGE_V1 } from './defs/storage-v1.js';
import type { FieldDef, TypeDef, TypeExpr } from './dsl.js';

const ALL: readonly (readonly TypeDef[])[] = [
  META_V1,
  RUNTIME,
  CORE_V1,
  APPS_V1,
  BATCH_V1,
  AUTOSCALING_V1,
  AUTOSCALING_V2,
  POLICY_V1,
  RBAC_V1,
  NETWORKING_V1,
  DISCOVERY_V1,
  STORAGE_V1,
  SCHEDULING_V1,
  COORDINATION_V1,
  NODE_V1,
  EVENTS_V1,
  AUTHENTICATION_V1,
  AUTHORIZATION_V1,
  CERTIFICATES_V1,
  ADMISSIONREGISTRATION_V1,
  FLOWCONTROL_V1,
  APIEXTENSIONS_V1,
  APIREGISTRATION_V1,
  METRICS_V1BETA1,
];

let types: Map<string, TypeDef> | undefined;
const jsonFieldCache = new Map<string, ReadonlyMap<string, FieldDef>>();

/** All declared types by definition name. */
export function schemaTypes(): ReadonlyMap<string, TypeDef> {
  if (!types) {
    types = new Map();
    for (const block of ALL) for (const type of block) types.set(type.definition, type);
  }
  return types;
}

export function typeDef(definition: string): TypeDef | undefined {
  return schemaTypes().get(definition);
}

/** The apiVersion and kind fields every kind carries (TypeMeta, not part of protobuf messages). */
export const TYPE_META_FIELDS: readonly FieldDef[] = ['apiVersion', 'kind'].map((name) => ({
  name,
  number: undefined,
  type: { kind: 'scalar', name: 'string' },
  inline: false,
  required: false,
  pointer: false,
  preserveUnknown: false,
}));

/** A type's fields by JSON name, with inline structs flattened and TypeMeta added for kinds. */
export function jsonFields(type: TypeDef): ReadonlyMap<string, FieldDef> {
  let fields = jsonFieldCache.get(type.definition);
  if (fields) return fields;
  const out = new Map<string, FieldDef>();
  if (type.typeMeta) for (const field of TYPE_META_FIELDS) out.set(field.name, field);
  for (const field of type.fields) {
    if (field.inline && field.type.kind === 'ref') {
      const inner = typeDef(field.type.definition);
      if (!inner) throw new Error(`${type.definition}: inline type ${field.type.definition} is not declared`);
      for (const [name, innerField] of jsonFields(inner)) out.set(name, innerField);
    } else out.set(field.name, field);
  }
  fields = out;
  jsonFieldCache.set(type.definition, fields);
  return fields;
}

/** Definitions a type expression refers to (for dangling-reference checks and OpenAPI closure). */
export function refsOf(type: TypeExpr): string[] {
  if (type.kind === 'ref') return [type.definition];
  if (type.kind === 'list') return refsOf(type.items);
  if (type.kind === 'map') return refsOf(type.values);
  return [];
}
