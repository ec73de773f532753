/**
 * The OpenAPI documents the API server publishes, computed once per catalogue state:
 * /openapi/v3 (index of group/versions), /openapi/v3/<api|apis/G>/<V> (one document per
 * group/version) and /openapi/v2 (everything, swagger 2.0).
 */
import { createHash } from 'node:crypto';
import { Catalogue } from '../catalogue.js';
import type { GroupVersionKind, ResourceInfo } from '../types.js';
import { DELETE_OPTIONS_DEF, STATUS_DEF, WATCH_EVENT_DEF, resourcePaths } from './paths.js';
import { definitionClosure, definitionSchema, PATCH, type Dialect, type SchemaObject } from './schemas.js';
import { customDefinitionName, customOpenApiDefinitions, type StructuralSchema } from '../schema/custom.js';
import { typeDef } from '../schema/registry.js';
import { encodeOpenApiV2 } from './v2-protobuf.js';
import { GIT_VERSION } from '../../version.js';

export interface OpenApiDocument {
  /** The serialized document, ready to send as application/json. */
  readonly json: string;
  /** Hex SHA-512 of json: the ?hash= of serverRelativeURL and a strong ETag. */
  readonly hash: string;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/** Definitions every document carries: what errors, deletes, watches and discovery return. */
const COMMON = [
  STATUS_DEF,
  DELETE_OPTIONS_DEF,
  WATCH_EVENT_DEF,
  PATCH,
  `${META}.APIResourceList`,
  `${META}.APIGroup`,
  `${META}.APIVersions`,
  `${META}.APIGroupList`,
];

/** What custom resource definitions refer to. */
const CUSTOM_ROOTS = [`${META}.ObjectMeta`, `${META}.ListMeta`];

function sortKeys(object: SchemaObject): SchemaObject {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));
}

const SECURITY_V2 = { BearerToken: { description: 'Bearer token authentication', type: 'apiKey', name: 'authorization', in: 'header' } };
const SECURITY_V3 = { BearerToken: { description: 'Bearer token authentication', type: 'apiKey', name: 'authorization', in: 'header' } };

function documentOf(value: unknown): OpenApiDocument {
  const json = JSON.stringify(value);
  return { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
}

/** Which group/version/kinds name each definition (x-kubernetes-group-version-kind). */
function kindsByDefinition(resources: readonly ResourceInfo[]): Map<string, GroupVersionKind[]> {
  const out = new Map<string, GroupVersionKind[]>();
  const add = (definition: string, gvk: GroupVersionKind): void => {
    const list = out.get(definition) ?? [];
    if (!list.some((k) => k.group === gvk.group && k.version === gvk.version && k.kind === gvk.kind)) list.push(gvk);
    out.set(definition, list);
  };
  const versions = new Map<string, GroupVersionKind>();
  for (const info of resources) {
    add(info.definition, { group: info.group, version: info.version, kind: info.kind });
    const listDef = info.definition.replace(/[^.]+$/, info.listKind);
    add(listDef, { group: info.group, version: info.version, kind: info.listKind });
    versions.set(`${info.group}/${info.version}`, { group: info.group, version: info.version, kind: '' });
  }
  // Options and events are accepted in every group/version, as upstream lists them.
  for (const gv of versions.values()) {
    add(DELETE_OPTIONS_DEF, { ...gv, kind: 'DeleteOptions' });
    add(WATCH_EVENT_DEF, { ...gv, kind: 'WatchEvent' });
  }
  add(STATUS_DEF, { group: '', version: 'v1', kind: 'Status' });
  return out;
}

function definitionsFor(roots: Iterable<string>, dialect: Dialect, kinds: Map<string, GroupVersionKind[]>): SchemaObject {
  const out: SchemaObject = {};
  for (const definition of [...definitionClosure(roots)].sort()) {
    if (!typeDef(definition) && !definition.startsWith('io.k8s.apimachinery') && !definition.startsWith('io.k8s.apiextensions')) continue;
    try {
      out[definition] = definitionSchema(definition, dialect, kinds.get(definition) ?? []);
    } catch {
      // A definition named by a path but not declared (e.g. a connect-options kind): left out.
    }
  }
  return out;
}

function pathsFor(resources: readonly ResourceInfo[], dialect: Dialect, custom: ReadonlyMap<string, SchemaObject>): SchemaObject {
  const paths: SchemaObject = {};
  const known = (definition: string): boolean => typeDef(definition) !== undefined || custom.has(definition);
  for (const info of resources) {
    if (!known(info.definition)) continue;
    Object.assign(paths, resourcePaths(info, dialect, known));
  }
  return Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
}

function referencedDefinitions(paths: SchemaObject): Set<string> {
  const refs = new Set<string>();
  JSON.stringify(paths, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string') refs.add(value.replace(/^#\/(definitions|components\/schemas)\//, ''));
    return value;
  });
  return refs;
}

export interface OpenApiOptions {
  /**
   * The structural schema of a custom resource's version (from its CRD), for catalogue entries
   * without a declared schema. Their ResourceInfo.definition must be customDefinitionName(...).
   */
  readonly customSchema?: (info: ResourceInfo) => StructuralSchema | undefined;
}

/** Builds and caches the documents of one catalogue; call invalidate() when CRDs change it. */
export class OpenApi {
  #v2: OpenApiDocument | undefined;
  #v2Protobuf: Uint8Array | undefined;
  #v3 = new Map<string, OpenApiDocument>();
  #index: OpenApiDocument | undefined;
  #kinds: Map<string, GroupVersionKind[]> | undefined;

  constructor(
    private readonly catalogue: Catalogue = new Catalogue(),
    private readonly options: OpenApiOptions = {},
  ) {}

  /** Definitions (v3 form) of the custom resources among `resources`. */
  #customDefinitions(resources: readonly ResourceInfo[]): Map<string, SchemaObject> {
    const out = new Map<string, SchemaObject>();
    const { customSchema } = this.options;
    if (!customSchema) return out;
    for (const info of resources) {
      if (typeDef(info.definition) || info.definition !== customDefinitionName(info.group, info.version, info.kind)) continue;
      const defs = customOpenApiDefinitions(info.group, info.version, info.kind, info.listKind, customSchema(info));
      for (const [name, schema] of Object.entries(defs)) out.set(name, schema);
    }
    return out;
  }

  invalidate(): void {
    this.#v2 = undefined;
    this.#v2Protobuf = undefined;
    this.#v3.clear();
    this.#index = undefined;
    this.#kinds = undefined;
  }

  #kindsByDefinition(): Map<string, GroupVersionKind[]> {
    return (this.#kinds ??= kindsByDefinition(this.catalogue.all()));
  }

  /** The /openapi/v3 index: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}, ...}}. */
  v3Index(): OpenApiDocument {
    if (this.#index) return this.#index;
    const paths: SchemaObject = {};
    for (const group of this.catalogue.groups()) {
      for (const version of group.versions) {
        const path = v3Path(group.name, version);
        const doc = this.v3Document(group.name, version);
        if (doc) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
      }
    }
    this.#index = documentOf({ paths });
    return this.#index;
  }

  /** The document of one group/version ('' for core), or undefined when nothing is served there. */
  v3Document(group: string, version: string): OpenApiDocument | undefined {
    const key = v3Path(group, version);
    const cached = this.#v3.get(key);
    if (cached) return cached;
    const resources = this.catalogue.resourcesOf(group, version);
    if (resources.length === 0) return undefined;
    const kinds = this.#kindsByDefinition();
    const custom = this.#customDefinitions(resources);
    const paths = pathsFor(resources, 'v3', custom);
    const roots = new Set([...COMMON, ...referencedDefinitions(paths), ...(custom.size ? CUSTOM_ROOTS : [])]);
    const schemas = { ...definitionsFor(roots, 'v3', kinds), ...Object.fromEntries(custom) };
    const doc = documentOf({
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: GIT_VERSION },
      paths,
      components: { schemas: sortKeys(schemas), securitySchemes: SECURITY_V3 },
    });
    this.#v3.set(key, doc);
    return doc;
  }

  /** The document at an index path ("api/v1", "apis/apps/v1"). */
  v3DocumentByPath(path: string): OpenApiDocument | undefined {
    const parts = path.replace(/^\/+|\/+$/g, '').split('/');
    if (parts.length === 2 && parts[0] === 'api' && parts[1]) return this.v3Document('', parts[1]);
    if (parts.length === 3 && parts[0] === 'apis' && parts[1] && parts[2]) return this.v3Document(parts[1], parts[2]);
    return undefined;
  }

  /** /openapi/v2: every path and definition in one swagger 2.0 document. */
  v2(): OpenApiDocument {
    if (this.#v2) return this.#v2;
    const resources = this.catalogue.all();
    const kinds = this.#kindsByDefinition();
    const custom = this.#customDefinitions(resources);
    const paths = pathsFor(resources, 'v2', custom);
    const roots = new Set([...COMMON, ...referencedDefinitions(paths), ...(custom.size ? CUSTOM_ROOTS : [])]);
    // The custom definitions are written in v3 form; v2 differs only in where refs point.
    const customV2 = JSON.parse(JSON.stringify(Object.fromEntries(custom)).replaceAll('#/components/schemas/', '#/definitions/')) as SchemaObject;
    this.#v2 = documentOf({
      swagger: '2.0',
      info: { title: 'Kubernetes', version: GIT_VERSION },
      paths,
      definitions: sortKeys({ ...definitionsFor(roots, 'v2', kinds), ...customV2 }),
      securityDefinitions: SECURITY_V2,
      security: [{ BearerToken: [] }],
    });
    return this.#v2;
  }

  /**
   * /openapi/v2 for Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf (what
   * client-go's OpenAPISchema() sends and can only decode).
   */
  v2Protobuf(): Uint8Array {
    return (this.#v2Protobuf ??= encodeOpenApiV2(JSON.parse(this.v2().json) as Record<string, unknown>));
  }
}

/**
 * The Content-Type of v2Protobuf() bodies. Clients ask with "...spec.v2@v1.0+protobuf" in Accept,
 * but Go's mime parser rejects "@" in a Content-Type, so the answer uses the dotted form.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

export function v3Path(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

let builtin: OpenApi | undefined;
const shared = (): OpenApi => (builtin ??= new OpenApi());

/** Documents of the built-in catalogue (computed once). */
export function openApiV3Index(): OpenApiDocument {
  return shared().v3Index();
}
export function openApiV3Document(group: string, version: string): OpenApiDocument | undefined {
  return shared().v3Document(group, version);
}
export function openApiV2(): OpenApiDocument {
  return shared().v2();
}
