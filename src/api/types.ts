/**
 * The resource catalogue's types: per kind everything the API server, discovery, OpenAPI,
 * kubectl's table output and the clients need. One entry per resource (plural) per group/version;
 * the catalogue is the single source from which discovery documents and OpenAPI are generated.
 */

export interface GroupVersionKind {
  readonly group: string; // '' for core
  readonly version: string;
  readonly kind: string;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** A Kubernetes object as JSON (typed access happens in the code that knows the kind). */
export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
};

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [extra: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** One field problem, rendered as a Status cause {reason, message, field}. */
export interface FieldError {
  /** e.g. "metadata.name", "spec.containers[0].image" */
  readonly field: string;
  /** FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong */
  readonly reason: string;
  /** The text after the field in upstream's message, e.g. 'Required value' or 'Invalid value: "X": must be ...' */
  readonly message: string;
}

export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format: string; // '' | 'name' | ...
  readonly description: string;
  /** 0 = default columns; >0 shown only with -o wide. */
  readonly priority: number;
}

export interface TableConvertor {
  readonly columns: readonly TableColumn[];
  /** Cells in column order; `now` for AGE-style computations. */
  row(object: KubeObject, now: Date): unknown[];
}

export interface SubresourceInfo {
  /** 'status' | 'scale' | 'binding' | 'eviction' | 'log' | 'exec' | 'attach' | 'portforward' | 'proxy' | 'token' ... */
  readonly name: string;
  readonly kind: GroupVersionKind;
  readonly verbs: readonly Verb[];
}

export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  /** Plural resource name, e.g. "deployments". */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly Verb[];
  readonly subresources: readonly SubresourceInfo[];
  /** Datastore key prefix segment, as upstream (e.g. "services/specs" for services). */
  readonly storageResource: string;
  /** Fields the status subresource owns (top-level key, usually "status"). */
  readonly hasStatus: boolean;
  /** OpenAPI definition name of the kind, e.g. "io.k8s.api.apps.v1.Deployment". */
  readonly definition: string;
  readonly table?: TableConvertor;
  /** Extra field selectors beyond metadata.name/metadata.namespace, value extractors. */
  readonly fieldSelectors?: Readonly<Record<string, (object: KubeObject) => string | undefined>>;
  /** Fills defaults in place (pod restartPolicy, dnsPolicy, ...). */
  readonly defaults?: (object: KubeObject) => void;
  /** Kind-specific validation; `old` is set on update. Common metadata checks are the server's. */
  readonly validate?: (object: KubeObject, old?: KubeObject) => FieldError[];
  /** Whether spec changes bump metadata.generation (kinds with a spec and status). */
  readonly bumpsGeneration: boolean;
}

/**
 * Strategic-merge-patch metadata for one position in an object, navigated field by field from the
 * kind's root (the catalogue builds it from its schemas; the patch engine in
 * src/apiserver/patch/ consumes it). `mergeKey`/`strategy` describe the field itself when it is a
 * list (x-kubernetes-patch-merge-key / x-kubernetes-patch-strategy, e.g. containers: name/merge).
 * Positions the schema does not know answer an empty meta (lists then replace, as upstream does for
 * fields without patch metadata).
 */
export interface PatchMeta {
  readonly mergeKey?: string;
  /** 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys'; absent = replace for lists. */
  readonly strategy?: string;
  /**
   * Server-side apply's view of a list (x-kubernetes-list-type): 'map' lists are keyed by
   * `listMapKeys` (containers by name; container ports by containerPort+protocol), 'set' lists
   * hold unique scalars, 'atomic' lists are owned whole. Absent: derived from mergeKey/strategy.
   */
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
  /** 'map' for free-form maps (labels, data, nodeSelector): SSA owns each key and the map itself. */
  readonly mapType?: 'granular' | 'atomic';
  /** Meta of a field of the object at this position. */
  field(name: string): PatchMeta;
  /** Meta of the items when this position is a list (or the values when it is a map). */
  items(): PatchMeta;
}
