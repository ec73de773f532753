/**
 * Path items for every resource of a group/version, shaped as kube-apiserver publishes them:
 * one operation per verb with x-kubernetes-action and x-kubernetes-group-version-kind, and the
 * dryRun/fieldManager/fieldValidation query parameters on writes. kubectl's --validate=strict
 * looks for `fieldValidation` on the PATCH operation of the kind before trusting the server.
 */
import type { ResourceInfo, SubresourceInfo, GroupVersionKind, Verb } from '../types.js';
import { typeDef } from '../schema/registry.js';
import { PATCH, refTo, type Dialect, type SchemaObject } from './schemas.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const STATUS_DEF = `${META}.Status`;
export const DELETE_OPTIONS_DEF = `${META}.DeleteOptions`;
export const WATCH_EVENT_DEF = `${META}.WatchEvent`;

const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const LIST_TYPES = [...JSON_TYPES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+cbor',
];

interface Param {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly description: string;
  readonly type: 'string' | 'boolean' | 'integer';
  readonly required?: boolean;
  readonly unique?: boolean;
}

const q = (name: string, type: Param['type'], description: string): Param => ({ name, in: 'query', type, description, unique: true });
const PRETTY = q('pretty', 'string', "If 'true', the output is pretty printed.");
const DRY_RUN = q('dryRun', 'string', 'When present (All), the change is checked but not persisted.');
const FIELD_MANAGER = q('fieldManager', 'string', 'The name of the actor making the change, recorded in managedFields.');
const FIELD_VALIDATION = q(
  'fieldValidation',
  'string',
  'How the server treats unknown and duplicate fields in the body: Ignore, Warn (default) or Strict.',
);
const FORCE = q('force', 'boolean', 'Apply only: take ownership of fields other managers own instead of failing with a conflict.');
const GRACE = q('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; 0 deletes at once.');
const PROPAGATION = q('propagationPolicy', 'string', 'Garbage collection of dependents: Orphan, Background or Foreground.');
const ORPHAN = q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.');
const IGNORE_CORRUPT = q('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean', 'Delete objects that cannot be read.');
const LIST_PARAMS: Param[] = [
  q('allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK events on a watch.'),
  q('continue', 'string', 'The continue token of the previous page.'),
  q('fieldSelector', 'string', 'Restrict by fields, e.g. metadata.name=x.'),
  q('labelSelector', 'string', 'Restrict by labels, e.g. app=web,tier!=db.'),
  q('limit', 'integer', 'The most items in one page.'),
  q('resourceVersion', 'string', 'Which version of the data to serve.'),
  q('resourceVersionMatch', 'string', 'How resourceVersion applies: Exact or NotOlderThan.'),
  q('sendInitialEvents', 'boolean', 'Start a watch with the current state as ADDED events.'),
  q('timeoutSeconds', 'integer', 'End the list or watch after this many seconds.'),
  q('watch', 'boolean', 'Stream changes instead of listing.'),
];
const pathParam = (name: string, description: string): Param => ({ name, in: 'path', type: 'string', description, required: true, unique: true });
const NAME = (kind: string): Param => pathParam('name', `name of the ${kind}`);
const NAMESPACE = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

function paramObject(param: Param, dialect: Dialect): SchemaObject {
  const base = { name: param.name, in: param.in, description: param.description, ...(param.required ? { required: true } : {}) };
  if (dialect === 'v2') return { ...base, type: param.type, ...(param.unique ? { uniqueItems: true } : {}) };
  return { ...base, schema: { type: param.type, ...(param.unique ? { uniqueItems: true } : {}) } };
}

/** Upstream's operation-id spelling of a group: "rbac.authorization.k8s.io" -> "RbacAuthorization". */
export function groupCamel(group: string): string {
  if (!group) return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export function tagOf(group: string, version: string): string {
  const camel = groupCamel(group);
  return `${camel.charAt(0).toLowerCase()}${camel.slice(1)}_${version}`;
}

interface OpSpec {
  readonly id: string;
  readonly action: string;
  readonly gvk: GroupVersionKind;
  readonly response?: string;
  readonly responses?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly bodyTypes?: readonly string[];
  readonly params?: readonly Param[];
  readonly produces?: readonly string[];
  readonly tag: string;
}

function operation(spec: OpSpec, dialect: Dialect): SchemaObject {
  const produces = spec.produces ?? JSON_TYPES;
  const responses: SchemaObject = {};
  const codes = spec.responses ?? { '200': spec.response ?? STATUS_DEF };
  for (const [code, definition] of Object.entries(codes)) {
    responses[code] =
      dialect === 'v2'
        ? { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', schema: refTo(definition, dialect) }
        : {
            description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK',
            content: Object.fromEntries(produces.map((type) => [type, { schema: refTo(definition, dialect) }])),
          };
  }
  responses['401'] = { description: 'Unauthorized' };
  const op: SchemaObject = {
    tags: [spec.tag],
    description: `${spec.action} ${spec.gvk.kind}`,
    operationId: spec.id,
    parameters: (spec.params ?? []).map((p) => paramObject(p, dialect)),
    responses,
    'x-kubernetes-action': spec.action,
    'x-kubernetes-group-version-kind': { group: spec.gvk.group, kind: spec.gvk.kind, version: spec.gvk.version },
  };
  if (dialect === 'v2') {
    op.consumes = spec.bodyTypes ? [...spec.bodyTypes] : ['*/*'];
    op.produces = [...produces];
    op.schemes = ['https'];
    if (spec.body) {
      (op.parameters as SchemaObject[]).unshift({ name: 'body', in: 'body', required: true, schema: refTo(spec.body, dialect) });
    }
  } else if (spec.body) {
    const types = spec.bodyTypes ?? ['*/*'];
    op.requestBody = { content: Object.fromEntries(types.map((type) => [type, { schema: refTo(spec.body as string, dialect) }])), required: true };
  }
  return op;
}

function pathItem(parameters: readonly Param[], operations: Record<string, SchemaObject>, dialect: Dialect): SchemaObject {
  return { ...operations, parameters: parameters.map((p) => paramObject(p, dialect)) };
}

const has = (verbs: readonly Verb[], verb: Verb): boolean => verbs.includes(verb);

/** The path items of one resource (collection, item, all-namespaces list, subresources). */
export function resourcePaths(info: ResourceInfo, dialect: Dialect, known: (definition: string) => boolean = (d) => typeDef(d) !== undefined): Record<string, SchemaObject> {
  const out: Record<string, SchemaObject> = {};
  const gvk: GroupVersionKind = { group: info.group, version: info.version, kind: info.kind };
  const prefix = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const scope = info.namespaced ? 'Namespaced' : '';
  const base = `${groupCamel(info.group)}${info.version.charAt(0).toUpperCase()}${info.version.slice(1)}`;
  const tag = tagOf(info.group, info.version);
  const kindDef = info.definition;
  const listDef = kindDef.replace(/[^.]+$/, info.listKind);
  const hasList = known(listDef);
  const collection = info.namespaced ? `${prefix}/namespaces/{namespace}/${info.resource}` : `${prefix}/${info.resource}`;
  const scopeParams = info.namespaced ? [NAMESPACE, PRETTY] : [PRETTY];
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];

  const collectionOps: Record<string, SchemaObject> = {};
  if (has(info.verbs, 'list') && hasList) {
    collectionOps.get = operation(
      { id: `list${base}${scope}${info.kind}`, action: 'list', gvk, response: listDef, params: LIST_PARAMS, produces: LIST_TYPES, tag },
      dialect,
    );
  }
  if (has(info.verbs, 'create')) {
    const created = { '200': kindDef, '201': kindDef, '202': kindDef };
    collectionOps.post = operation(
      { id: `create${base}${scope}${info.kind}`, action: 'post', gvk, responses: created, body: kindDef, params: writeParams, tag },
      dialect,
    );
  }
  if (has(info.verbs, 'deletecollection')) {
    collectionOps.delete = operation(
      {
        id: `delete${base}Collection${scope}${info.kind}`,
        action: 'deletecollection',
        gvk,
        response: STATUS_DEF,
        body: DELETE_OPTIONS_DEF,
        params: [...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), DRY_RUN, GRACE, IGNORE_CORRUPT, ORPHAN, PROPAGATION],
        tag,
      },
      dialect,
    );
  }
  if (Object.keys(collectionOps).length) out[collection] = pathItem(scopeParams, collectionOps, dialect);

  const item = `${collection}/{name}`;
  const itemParams = [NAME(info.kind), ...scopeParams];
  const itemOps: Record<string, SchemaObject> = {};
  if (has(info.verbs, 'get')) {
    itemOps.get = operation({ id: `read${base}${scope}${info.kind}`, action: 'get', gvk, response: kindDef, tag }, dialect);
  }
  if (has(info.verbs, 'update')) {
    itemOps.put = operation(
      { id: `replace${base}${scope}${info.kind}`, action: 'put', gvk, responses: { '200': kindDef, '201': kindDef }, body: kindDef, params: writeParams, tag },
      dialect,
    );
  }
  if (has(info.verbs, 'patch')) {
    itemOps.patch = operation(
      {
        id: `patch${base}${scope}${info.kind}`,
        action: 'patch',
        gvk,
        responses: { '200': kindDef, '201': kindDef },
        body: PATCH,
        bodyTypes: PATCH_TYPES,
        params: [...writeParams, FORCE],
        tag,
      },
      dialect,
    );
  }
  if (has(info.verbs, 'delete')) {
    itemOps.delete = operation(
      {
        id: `delete${base}${scope}${info.kind}`,
        action: 'delete',
        gvk,
        responses: { '200': STATUS_DEF, '202': STATUS_DEF },
        body: DELETE_OPTIONS_DEF,
        params: [DRY_RUN, GRACE, IGNORE_CORRUPT, ORPHAN, PROPAGATION],
        tag,
      },
      dialect,
    );
  }
  if (Object.keys(itemOps).length) out[item] = pathItem(itemParams, itemOps, dialect);

  if (info.namespaced && has(info.verbs, 'list') && hasList) {
    out[`${prefix}/${info.resource}`] = pathItem(
      [PRETTY],
      {
        get: operation(
          { id: `list${base}${info.kind}ForAllNamespaces`, action: 'list', gvk, response: listDef, params: LIST_PARAMS, produces: LIST_TYPES, tag },
          dialect,
        ),
      },
      dialect,
    );
  }

  for (const sub of info.subresources) Object.assign(out, subresourcePath(info, sub, item, itemParams, base, scope, tag, dialect));
  return out;
}

function subresourcePath(
  info: ResourceInfo,
  sub: SubresourceInfo,
  item: string,
  itemParams: readonly Param[],
  base: string,
  scope: string,
  tag: string,
  dialect: Dialect,
): Record<string, SchemaObject> {
  const definition = sub.kind.group === info.group && sub.kind.version === info.version && sub.kind.kind === info.kind
    ? info.definition
    : subresourceDefinition(sub.kind);
  if (!definition || !typeDef(definition)) return {};
  const suffix = sub.name.charAt(0).toUpperCase() + sub.name.slice(1);
  const gvk = sub.kind;
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const ops: Record<string, SchemaObject> = {};
  if (has(sub.verbs, 'get')) ops.get = operation({ id: `read${base}${scope}${info.kind}${suffix}`, action: 'get', gvk, response: definition, tag }, dialect);
  if (has(sub.verbs, 'update')) {
    ops.put = operation(
      { id: `replace${base}${scope}${info.kind}${suffix}`, action: 'put', gvk, responses: { '200': definition, '201': definition }, body: definition, params: writeParams, tag },
      dialect,
    );
  }
  if (has(sub.verbs, 'patch')) {
    ops.patch = operation(
      {
        id: `patch${base}${scope}${info.kind}${suffix}`,
        action: 'patch',
        gvk,
        responses: { '200': definition, '201': definition },
        body: PATCH,
        bodyTypes: PATCH_TYPES,
        params: [...writeParams, FORCE],
        tag,
      },
      dialect,
    );
  }
  if (has(sub.verbs, 'create')) {
    ops.post = operation(
      {
        id: `create${base}${scope}${info.kind}${suffix}`,
        action: 'post',
        gvk,
        responses: { '200': definition, '201': definition, '202': definition },
        body: definition,
        params: writeParams,
        tag,
      },
      dialect,
    );
  }
  if (!Object.keys(ops).length) return {};
  return { [`${item}/${sub.name}`]: pathItem(itemParams, ops, dialect) };
}

const SUBRESOURCE_PACKAGES: Readonly<Record<string, string>> = {
  '': 'io.k8s.api.core',
  autoscaling: 'io.k8s.api.autoscaling',
  policy: 'io.k8s.api.policy',
  'authentication.k8s.io': 'io.k8s.api.authentication',
};

function subresourceDefinition(gvk: GroupVersionKind): string | undefined {
  const pkg = SUBRESOURCE_PACKAGES[gvk.group];
  return pkg ? `${pkg}.${gvk.version}.${gvk.kind}` : undefined;
}
