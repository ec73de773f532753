/** The rbac.authorization.k8s.io/v1 shapes the authorizer reads (fields it does not need are ignored). */

export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

export interface RbacMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface Role {
  readonly metadata?: RbacMeta;
  readonly rules?: readonly PolicyRule[] | null;
}

export interface ClusterRole extends Role {
  readonly aggregationRule?: { readonly clusterRoleSelectors?: readonly LabelSelector[] };
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}

export interface Subject {
  readonly kind: 'User' | 'Group' | 'ServiceAccount' | string;
  readonly name: string;
  readonly namespace?: string;
  readonly apiGroup?: string;
}

export interface RoleRef {
  readonly apiGroup?: string;
  readonly kind: 'Role' | 'ClusterRole' | string;
  readonly name: string;
}

export interface RoleBinding {
  readonly metadata?: RbacMeta;
  readonly subjects?: readonly Subject[] | null;
  readonly roleRef: RoleRef;
}

export type ClusterRoleBinding = RoleBinding;

type MaybePromise<T> = T | Promise<T>;

/**
 * Where the authorizer reads RBAC objects; the apiserver supplies it from its watch cache.
 * Everything may answer synchronously (an in-memory cache) or asynchronously.
 */
export interface RbacLookup {
  getClusterRole(name: string): MaybePromise<ClusterRole | undefined>;
  getRole(namespace: string, name: string): MaybePromise<Role | undefined>;
  listClusterRoleBindings(): MaybePromise<Iterable<ClusterRoleBinding>>;
  listRoleBindings(namespace: string): MaybePromise<Iterable<RoleBinding>>;
}
