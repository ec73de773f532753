/**
 * What the API server takes from the schemas, in the shape of its Extensions (see
 * src/apiserver/types.ts): patch metadata per kind, unknown fields, the duplicate-reporting JSON
 * parser, protobuf decoding, and the OpenAPI documents (parsed once, served as JSON).
 */
import { Catalogue } from './catalogue.js';
import { OpenApi, type OpenApiDocument } from './openapi/index.js';
import { decodeProtobufObject } from './protobuf/index.js';
import { patchMetaFromSchema, patchMetaOf, unknownFieldsBySchema, type StructuralSchema } from './schema/index.js';
import { definitionOfKind, findFieldProblems, parseJsonWithDuplicates } from './strict/index.js';
import type { GroupVersionKind, KubeObject, PatchMeta } from './types.js';

export interface SchemaExtensions {
  readonly patchMeta: (gvk: GroupVersionKind) => PatchMeta;
  readonly unknownFields: (gvk: GroupVersionKind, object: unknown) => string[];
  readonly parseJsonStrict: (text: string) => { value: unknown; duplicates: string[] };
  readonly decodeProtobuf: (body: Uint8Array) => KubeObject;
  readonly openapi: {
    v2(): unknown;
    /** /openapi/v2 for Accept ...proto-openapi.spec.v2@v1.0+protobuf; Content-Type OPENAPI_V2_PROTOBUF. */
    v2Protobuf(): Uint8Array;
    v3Index(): unknown;
    v3(path: string): unknown;
  };
  /** The generator behind `openapi`, for invalidate() when CRDs change the catalogue. */
  readonly openApiDocuments: OpenApi;
}

export interface SchemaExtensionOptions {
  /** A custom resource's structural schema (its CRD version's openAPIV3Schema), when served. */
  readonly customSchema?: (gvk: GroupVersionKind) => StructuralSchema | undefined;
}

export function schemaExtensions(catalogue: Catalogue = new Catalogue(), options: SchemaExtensionOptions = {}): SchemaExtensions {
  const { customSchema } = options;
  const documents = new OpenApi(catalogue, customSchema ? { customSchema: (info) => customSchema(info) } : {});
  const parsed = new WeakMap<OpenApiDocument, unknown>();
  const value = (doc: OpenApiDocument | undefined): unknown => {
    if (!doc) return undefined;
    let out = parsed.get(doc);
    if (out === undefined) {
      out = JSON.parse(doc.json) as unknown;
      parsed.set(doc, out);
    }
    return out;
  };
  return {
    patchMeta: (gvk) => {
      const definition = definitionOfKind(gvk);
      if (definition || !customSchema) return patchMetaOf(definition ?? '');
      return patchMetaFromSchema(customSchema(gvk));
    },
    unknownFields: (gvk, object) => {
      if (definitionOfKind(gvk) || !customSchema) return findFieldProblems(gvk, object).unknown;
      const schema = customSchema(gvk);
      return schema ? unknownFieldsBySchema(schema, object) : [];
    },
    parseJsonStrict: parseJsonWithDuplicates,
    decodeProtobuf: (body) => decodeProtobufObject(body) as KubeObject,
    openapi: {
      v2: () => value(documents.v2()),
      v2Protobuf: () => documents.v2Protobuf(),
      v3Index: () => value(documents.v3Index()),
      v3: (path) => value(documents.v3DocumentByPath(path)),
    },
    openApiDocuments: documents,
  };
}
