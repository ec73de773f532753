/**
 * Impersonation (kubectl --as, --as-group, --as-uid), as upstream's filter: the caller must be
 * allowed the "impersonate" verb on each thing it asks to be — users (or serviceaccounts in their
 * namespace), groups, uids and userextras/<key> — and then the request runs as that user, with
 * the service-account groups (when no groups are given) and system:authenticated (unless
 * system:unauthenticated is asked for) added as upstream adds them. Header values are split on
 * commas, so node's joined duplicate headers and headersDistinct arrays both work.
 */
import { forbiddenStatus, type Authorizer, type RequestAttributes } from './rbac.js';
import { ANONYMOUS_USER, parseServiceAccountUsername, serviceAccountGroups, SYSTEM_AUTHENTICATED, SYSTEM_UNAUTHENTICATED, type UserInfo } from './user.js';

export type ImpersonationResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'impersonated'; readonly user: UserInfo }
  /** 403 with this metav1.Status. */
  | { readonly kind: 'forbidden'; readonly status: Record<string, unknown> }
  /** 400: e.g. groups requested without a user. */
  | { readonly kind: 'bad-request'; readonly message: string };

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

const EXTRA_PREFIX = 'impersonate-extra-';

function values(headers: Headers, name: string): string[] {
  const v = headers[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((s: string) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** True when the request carries any Impersonate-* header (node lower-cases header names). */
export function hasImpersonationHeaders(headers: Headers): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase().startsWith('impersonate-'));
}

export async function impersonate(user: UserInfo, headers: Headers, authorizer: Authorizer): Promise<ImpersonationResult> {
  if (!hasImpersonationHeaders(headers)) return { kind: 'none' };
  const lower: Record<string, string | readonly string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  const username = values(lower, 'impersonate-user')[0];
  const groups = values(lower, 'impersonate-group');
  const uid = values(lower, 'impersonate-uid')[0];
  const extra: Record<string, string[]> = {};
  for (const key of Object.keys(lower)) {
    if (!key.startsWith(EXTRA_PREFIX)) continue;
    // Extra keys travel percent-encoded in the header name.
    extra[decodeURIComponent(key.slice(EXTRA_PREFIX.length))] = values(lower, key);
  }
  if (!username) {
    const asked = [...(groups.length ? ['groups'] : []), ...(uid ? ['uid'] : []), ...(Object.keys(extra).length ? ['extra'] : [])];
    return { kind: 'bad-request', message: `requested [${asked.join(' ')}] without impersonating a user` };
  }

  const checks: RequestAttributes[] = [];
  const sa = parseServiceAccountUsername(username);
  checks.push(
    sa
      ? { user, verb: 'impersonate', isResourceRequest: true, apiGroup: '', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name }
      : { user, verb: 'impersonate', isResourceRequest: true, apiGroup: '', resource: 'users', name: username },
  );
  for (const group of groups) checks.push({ user, verb: 'impersonate', isResourceRequest: true, apiGroup: '', resource: 'groups', name: group });
  if (uid) checks.push({ user, verb: 'impersonate', isResourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  for (const [key, vals] of Object.entries(extra)) {
    for (const value of vals) {
      checks.push({ user, verb: 'impersonate', isResourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: value });
    }
  }
  for (const attributes of checks) {
    const decision = await authorizer.authorize(attributes);
    if (!decision.allowed) return { kind: 'forbidden', status: forbiddenStatus(attributes, decision.reason) };
  }

  const finalGroups = [...groups];
  // A service account's groups are a fixed mapping: added when no groups were asked for.
  if (sa && groups.length === 0) finalGroups.push(...serviceAccountGroups(sa.namespace));
  if (username === ANONYMOUS_USER) {
    if (!finalGroups.includes(SYSTEM_UNAUTHENTICATED)) finalGroups.push(SYSTEM_UNAUTHENTICATED);
  } else if (!finalGroups.includes(SYSTEM_AUTHENTICATED) && !finalGroups.includes(SYSTEM_UNAUTHENTICATED)) {
    finalGroups.push(SYSTEM_AUTHENTICATED);
  }
  const result: UserInfo = {
    username,
    groups: finalGroups,
    ...(uid ? { uid } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
  return { kind: 'impersonated', user: result };
}
