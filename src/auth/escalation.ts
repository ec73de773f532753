/**
 * RBAC escalation prevention, as upstream's role and binding storage enforces it: a user may
 * create or update a Role/ClusterRole only with permissions it already holds (or with the
 * "escalate" verb on that role), and may bind a role only if it holds all of the role's
 * permissions (or has the "bind" verb on it). system:masters is exempt. The apiserver calls these
 * on create/update of the four RBAC kinds and answers 403 with the returned message.
 */
import type { Authorizer } from './rbac.js';
import type { PolicyRule, RbacLookup, RoleRef } from './rbac-types.js';
import { SYSTEM_MASTERS, type UserInfo } from './user.js';

const ALL = '*';
const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Splits rules into one verb x group x resource x name (or URL) each, as upstream's BreakdownRule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames && rule.resourceNames.length > 0) {
          for (const name of rule.resourceNames) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
        } else {
          out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) out.push({ verbs: [verb], nonResourceURLs: [url] });
  return out;
}

const has = (set: readonly string[] | undefined, value: string): boolean => (set ?? []).includes(value);
const hasAll = (set: readonly string[] | undefined, values: readonly string[] | undefined): boolean => (values ?? []).every((v) => has(set, v));

function resourcesCovered(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, ALL) || hasAll(owner, wanted)) return true;
  return (wanted ?? []).every((path) => {
    if (has(owner, path)) return true;
    const slash = path.indexOf('/');
    return slash >= 0 && has(owner, `*/${path.slice(slash + 1)}`);
  });
}

function urlsCovered(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((url) => (owner ?? []).some((o) => o === ALL || o === url || (o.endsWith('*') && url.startsWith(o.slice(0, -1)))));
}

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, ALL) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, ALL) || hasAll(owner.apiGroups, sub.apiGroups);
  const names = (sub.resourceNames ?? []).length === 0 ? (owner.resourceNames ?? []).length === 0 : (owner.resourceNames ?? []).length === 0 || hasAll(owner.resourceNames, sub.resourceNames);
  return verbs && groups && resourcesCovered(owner.resources, sub.resources) && names && urlsCovered(owner.nonResourceURLs, sub.nonResourceURLs);
}

/** The atomic parts of `wanted` that none of `owned` covers (empty = no escalation). */
export function uncoveredRules(owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdownRule).filter((sub) => !owned.some((o) => ruleCovers(o, sub)));
}

function describe(rule: PolicyRule): string {
  const q = (xs: readonly string[] | undefined): string => `[${(xs ?? []).map((x) => `"${x}"`).join(' ')}]`;
  if (rule.nonResourceURLs?.length) return `{NonResourceURLs:${q(rule.nonResourceURLs)}, Verbs:${q(rule.verbs)}}`;
  const names = rule.resourceNames?.length ? `, ResourceNames:${q(rule.resourceNames)}` : '';
  return `{APIGroups:${q(rule.apiGroups)}, Resources:${q(rule.resources)}${names}, Verbs:${q(rule.verbs)}}`;
}

/** Upstream's wording; the apiserver wraps it as `roles.rbac.authorization.k8s.io "x" is forbidden: ...`. */
function escalationMessage(user: UserInfo, missing: PolicyRule[]): string {
  const lines = [...new Set(missing.map(describe))].sort();
  return `user "${user.username}" (groups=[${user.groups.map((g) => `"${g}"`).join(' ')}]) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
}

async function ownRules(authz: Authorizer, user: UserInfo, namespace: string): Promise<PolicyRule[]> {
  const status = await authz.rulesFor(user, namespace);
  return [...status.resourceRules, ...status.nonResourceRules];
}

/**
 * For creating/updating a Role (namespace set) or ClusterRole (namespace ''): undefined when
 * allowed, else the reason to put in the 403.
 */
export async function checkRoleEscalation(
  authz: Authorizer,
  user: UserInfo,
  role: { readonly kind: 'Role' | 'ClusterRole'; readonly namespace: string; readonly name: string; readonly rules: readonly PolicyRule[] },
): Promise<string | undefined> {
  if (user.groups.includes(SYSTEM_MASTERS)) return undefined;
  const resource = role.kind === 'Role' ? 'roles' : 'clusterroles';
  const escalate = await authz.authorize({ user, verb: 'escalate', isResourceRequest: true, apiGroup: RBAC_GROUP, resource, namespace: role.namespace, name: role.name });
  if (escalate.allowed) return undefined;
  const missing = uncoveredRules(await ownRules(authz, user, role.namespace), role.rules);
  return missing.length === 0 ? undefined : escalationMessage(user, missing);
}

/** For creating/updating a RoleBinding (namespace set) or ClusterRoleBinding (namespace ''). */
export async function checkBindingEscalation(
  authz: Authorizer,
  lookup: RbacLookup,
  user: UserInfo,
  binding: { readonly namespace: string; readonly roleRef: RoleRef },
): Promise<string | undefined> {
  if (user.groups.includes(SYSTEM_MASTERS)) return undefined;
  const ref = binding.roleRef;
  const resource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
  const bind = await authz.authorize({ user, verb: 'bind', isResourceRequest: true, apiGroup: RBAC_GROUP, resource, namespace: binding.namespace, name: ref.name });
  if (bind.allowed) return undefined;
  const role = ref.kind === 'Role' ? await lookup.getRole(binding.namespace, ref.name) : await lookup.getClusterRole(ref.name);
  if (!role) return `${ref.kind === 'Role' ? 'role' : 'clusterrole'}.rbac.authorization.k8s.io "${ref.name}" not found`;
  const missing = uncoveredRules(await ownRules(authz, user, binding.namespace), role.rules ?? []);
  return missing.length === 0 ? undefined : escalationMessage(user, missing);
}
