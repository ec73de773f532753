/**
 * The RBAC authorizer, with upstream's semantics:
 * - members of system:masters are always allowed (kube-apiserver's privileged-group authorizer);
 * - ClusterRoleBindings grant their ClusterRole everywhere; RoleBindings grant their Role or
 *   ClusterRole only inside the binding's namespace;
 * - a rule matches when its verbs, apiGroups and resources contain the request's (or "*"),
 *   "resource/subresource" is matched as one word and "*\/subresource" matches any resource's
 *   subresource; resourceNames, when present, must contain the requested name (so they never
 *   match list, watch, create or deletecollection without a name); nonResourceURLs match exactly
 *   or by prefix when they end in "*";
 * - ServiceAccount subjects without a namespace take the binding's namespace.
 * Deny is the default; there are no deny rules.
 */
import type { ClusterRoleBinding, PolicyRule, RbacLookup, RoleBinding, Subject } from './rbac-types.js';
import { serviceAccountUsername, SYSTEM_MASTERS, type UserInfo } from './user.js';

export interface RequestAttributes {
  readonly user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection, or (non-resource) get, post, put, ... */
  readonly verb: string;
  /** True for /api and /apis object paths; false for /version, /healthz, /openapi/... */
  readonly isResourceRequest: boolean;
  readonly apiGroup?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The URL path of a non-resource request. */
  readonly path?: string;
}

export interface Decision {
  readonly allowed: boolean;
  /** Why (for audit/logs). Upstream shows a deny reason to the user only when non-empty. */
  readonly reason: string;
}

// Type aliases rather than interfaces so they are plain JSON records (assignable to Record<string, unknown>).
export type ResourceRule = {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
};

export type NonResourceRule = {
  verbs: string[];
  nonResourceURLs: string[];
};

/** The status of a SelfSubjectRulesReview. */
export interface SubjectRulesReviewStatus {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  evaluationError?: string;
}

export interface Authorizer {
  authorize(attributes: RequestAttributes): Promise<Decision>;
  /** The rules that apply to `user` in `namespace` (kubectl auth can-i --list). */
  rulesFor(user: UserInfo, namespace: string): Promise<SubjectRulesReviewStatus>;
}

const ALL = '*';

export function createAuthorizer(lookup: RbacLookup): Authorizer {
  /**
   * Visits the rules of every binding that applies to the user, cluster-wide bindings first,
   * then the namespace's; stops when `visit` returns true. Missing roles are collected as errors.
   */
  async function visitRules(user: UserInfo, namespace: string | undefined, visit: (rule: PolicyRule, source: string) => boolean, errors: string[]): Promise<boolean> {
    for (const binding of await lookup.listClusterRoleBindings()) {
      const subject = appliesTo(user, binding, '');
      if (!subject) continue;
      if (binding.roleRef.kind !== 'ClusterRole') continue;
      const role = await lookup.getClusterRole(binding.roleRef.name);
      if (!role) {
        errors.push(`clusterrole.rbac.authorization.k8s.io "${binding.roleRef.name}" not found`);
        continue;
      }
      const source = `ClusterRoleBinding "${binding.metadata?.name ?? ''}" of ClusterRole "${binding.roleRef.name}" to ${describeSubject(subject, '')}`;
      for (const rule of role.rules ?? []) if (visit(rule, source)) return true;
    }
    if (!namespace) return false;
    for (const binding of await lookup.listRoleBindings(namespace)) {
      const subject = appliesTo(user, binding, namespace);
      if (!subject) continue;
      const ref = binding.roleRef;
      const role = ref.kind === 'ClusterRole' ? await lookup.getClusterRole(ref.name) : ref.kind === 'Role' ? await lookup.getRole(namespace, ref.name) : undefined;
      if (!role) {
        errors.push(ref.kind === 'ClusterRole' ? `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found` : `role.rbac.authorization.k8s.io "${ref.name}" not found`);
        continue;
      }
      const source = `RoleBinding "${binding.metadata?.name ?? ''}/${namespace}" of ${ref.kind} "${ref.name}" to ${describeSubject(subject, namespace)}`;
      for (const rule of role.rules ?? []) if (visit(rule, source)) return true;
    }
    return false;
  }

  return {
    async authorize(attributes) {
      if (attributes.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
      let reason = '';
      const errors: string[] = [];
      const found = await visitRules(
        attributes.user,
        attributes.isResourceRequest ? attributes.namespace : undefined,
        (rule, source) => {
          if (!ruleAllows(attributes, rule)) return false;
          reason = `RBAC: allowed by ${source}`;
          return true;
        },
        errors,
      );
      if (found) return { allowed: true, reason };
      return { allowed: false, reason: errors.length > 0 ? `RBAC: ${errors.join(', ')}` : '' };
    },

    async rulesFor(user, namespace) {
      // Only RBAC's rules, as upstream: its system:masters authorizer allows without resolving rules
      // (the cluster-admin binding is what lists "*.*" for the admin).
      const rules: PolicyRule[] = [];
      const errors: string[] = [];
      await visitRules(user, namespace, (rule) => (rules.push(rule), false), errors);
      const status: SubjectRulesReviewStatus = { resourceRules: [], nonResourceRules: [], incomplete: errors.length > 0 };
      for (const rule of rules) {
        if (rule.resources && rule.resources.length > 0) {
          const r: ResourceRule = { verbs: [...rule.verbs], apiGroups: [...(rule.apiGroups ?? [])], resources: [...rule.resources] };
          if (rule.resourceNames && rule.resourceNames.length > 0) r.resourceNames = [...rule.resourceNames];
          status.resourceRules.push(r);
        }
        if (rule.nonResourceURLs && rule.nonResourceURLs.length > 0) {
          status.nonResourceRules.push({ verbs: [...rule.verbs], nonResourceURLs: [...rule.nonResourceURLs] });
        }
      }
      if (errors.length > 0) status.evaluationError = errors.join(', ');
      return status;
    },
  };
}

/** The subject through which a binding applies to the user, if any. */
export function appliesTo(user: UserInfo, binding: RoleBinding | ClusterRoleBinding, namespace: string): Subject | undefined {
  for (const subject of binding.subjects ?? []) {
    switch (subject.kind) {
      case 'User':
        if (user.username === subject.name) return subject;
        break;
      case 'Group':
        if (user.groups.includes(subject.name)) return subject;
        break;
      case 'ServiceAccount': {
        const ns = subject.namespace || namespace;
        if (ns && user.username === serviceAccountUsername(ns, subject.name)) return subject;
        break;
      }
    }
  }
  return undefined;
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') return `ServiceAccount "${subject.namespace || bindingNamespace}/${subject.name}"`;
  return `${subject.kind} "${subject.name}"`;
}

export function ruleAllows(attributes: RequestAttributes, rule: PolicyRule): boolean {
  if (!matches(rule.verbs, attributes.verb)) return false;
  if (!attributes.isResourceRequest) return nonResourceUrlMatches(rule.nonResourceURLs ?? [], attributes.path ?? '');
  const resource = attributes.resource ?? '';
  const subresource = attributes.subresource ?? '';
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (
    matches(rule.apiGroups ?? [], attributes.apiGroup ?? '') &&
    resourceMatches(rule.resources ?? [], combined, subresource) &&
    resourceNameMatches(rule.resourceNames ?? [], attributes.name ?? '')
  );
}

function matches(list: readonly string[], value: string): boolean {
  return list.includes(ALL) || list.includes(value);
}

function resourceMatches(ruleResources: readonly string[], combined: string, subresource: string): boolean {
  for (const r of ruleResources) {
    if (r === ALL || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

function resourceNameMatches(names: readonly string[], name: string): boolean {
  return names.length === 0 || names.includes(name);
}

function nonResourceUrlMatches(urls: readonly string[], path: string): boolean {
  for (const url of urls) {
    if (url === ALL || url === path) return true;
    if (url.endsWith('*') && path.startsWith(url.slice(0, -1))) return true;
  }
  return false;
}

/**
 * The message upstream puts in a 403 (responsewriters.forbiddenMessage), so kubectl prints the
 * familiar "User "x" cannot list resource "pods" in API group "" in the namespace "default"".
 */
export function forbiddenMessage(attributes: RequestAttributes): string {
  const user = attributes.user.username;
  if (!attributes.isResourceRequest) return `User "${user}" cannot ${attributes.verb} path "${attributes.path ?? ''}"`;
  const resource = attributes.subresource ? `${attributes.resource ?? ''}/${attributes.subresource}` : (attributes.resource ?? '');
  const group = attributes.apiGroup ?? '';
  if (attributes.namespace) return `User "${user}" cannot ${attributes.verb} resource "${resource}" in API group "${group}" in the namespace "${attributes.namespace}"`;
  return `User "${user}" cannot ${attributes.verb} resource "${resource}" in API group "${group}" at the cluster scope`;
}

/** The metav1.Status upstream answers a denied request with (403 Forbidden). */
export function forbiddenStatus(attributes: RequestAttributes, reason = ''): Record<string, unknown> {
  const detail = reason ? `${forbiddenMessage(attributes)}: ${reason}` : forbiddenMessage(attributes);
  const group = attributes.apiGroup ?? '';
  const qualified = attributes.isResourceRequest && attributes.resource ? (group ? `${attributes.resource}.${group}` : attributes.resource) : '';
  const name = attributes.name ?? '';
  const message = !qualified ? `forbidden: ${detail}` : name ? `${qualified} "${name}" is forbidden: ${detail}` : `${qualified} is forbidden: ${detail}`;
  const details: Record<string, string> = {};
  if (name) details.name = name;
  if (attributes.isResourceRequest) {
    if (group) details.group = group;
    if (attributes.resource) details.kind = attributes.resource;
  }
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 };
}
