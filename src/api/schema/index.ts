/**
 * The API's type schemas: one declaration per type (defs/, notation in dsl.ts) from which the
 * OpenAPI documents (../openapi), the strategic-merge/apply navigator (patchMetaOf), strict field
 * validation (../strict) and protobuf decoding (../protobuf) are derived.
 */
export { defs, resolveDefinition, type FieldDef, type ScalarName, type TypeDef, type TypeExpr } from './dsl.js';
export { jsonFields, refsOf, schemaTypes, typeDef, TYPE_META_FIELDS } from './registry.js';
export { patchMetaOf } from './patch-meta.js';
export { customDefinitionName, customOpenApiDefinitions, patchMetaFromSchema, unknownFieldsBySchema, type StructuralSchema } from './custom.js';
