/** The resource catalogue: what the API serves, and everything derived from it. */
export { Catalogue, type APIGroupInfo } from './catalogue.js';
export { builtinResources, definitionName, SCALE_KIND } from './resources/index.js';
export type * from './types.js';
export {
  AGGREGATED_DISCOVERY_V2,
  AGGREGATED_DISCOVERY_V2BETA1,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  storageVersionHash,
  type AggregatedVersion,
} from './discovery.js';
export { patchMetaOf, schemaTypes, typeDef, type FieldDef, type TypeDef, type TypeExpr } from './schema/index.js';
export { OpenApi, OPENAPI_V2_PROTOBUF, openApiV2, openApiV3Document, openApiV3Index, type OpenApiDocument } from './openapi/index.js';
export { decodeProtobufObject, encodeProtobufObject, ProtobufError, PROTOBUF_MAGIC } from './protobuf/index.js';
export {
  fieldProblemMessages,
  findFieldProblems,
  parseJsonWithDuplicates,
  parseYamlWithDuplicates,
  strictDecodingError,
  type FieldProblems,
} from './strict/index.js';
export { schemaExtensions, type SchemaExtensionOptions, type SchemaExtensions } from './schema-extensions.js';
