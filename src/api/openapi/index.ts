/**
 * OpenAPI v2 and v3 documents generated from the catalogue and the declared schemas. The API
 * server serves OpenApi#v3Index() at /openapi/v3, v3DocumentByPath() at /openapi/v3/<path> and
 * v2() at /openapi/v2 (JSON), or v2Protobuf() when the client Accepts OPENAPI_V2_PROTOBUF.
 */
export { OpenApi, OPENAPI_V2_PROTOBUF, type OpenApiOptions, openApiV2, openApiV3Document, openApiV3Index, v3Path, type OpenApiDocument } from './documents.js';
export { encodeOpenApiV2 } from './v2-protobuf.js';
export { definitionSchema, type Dialect, type SchemaObject } from './schemas.js';
export { groupCamel, resourcePaths, tagOf } from './paths.js';
