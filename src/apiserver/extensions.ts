/**
 * The standard set of Extensions: schemas (patch metadata, unknown fields, duplicate-reporting
 * JSON parser, protobuf decoding, OpenAPI) and the common metadata validation. OpenAPI documents
 * are handed over as their JSON text, so the server never re-serialises the large v2 document.
 */
import type { Catalogue } from '../api/catalogue.js';
import { schemaExtensions } from '../api/index.js';
import { validateObjectMeta } from '../api/validation/index.js';
import type { Extensions } from './types.js';

export function standardExtensions(catalogue: Catalogue): Extensions & { invalidateOpenApi(): void } {
  const schema = schemaExtensions(catalogue);
  const documents = schema.openApiDocuments;
  return {
    patchMeta: schema.patchMeta,
    unknownFields: schema.unknownFields,
    parseJsonStrict: schema.parseJsonStrict,
    decodeProtobuf: schema.decodeProtobuf,
    validateObjectMeta: (info, object, old) => validateObjectMeta(info, object, old),
    openapi: {
      v2: () => documents.v2().json,
      v2Protobuf: () => documents.v2Protobuf(),
      v3Index: () => documents.v3Index().json,
      v3: (path) => documents.v3DocumentByPath(path)?.json,
    },
    invalidateOpenApi: () => documents.invalidate(),
  };
}
