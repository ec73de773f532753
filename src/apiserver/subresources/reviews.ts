/**
 * The "review" resources: virtual, create-only, answered from authentication and authorization
 * without storing anything (kubectl auth can-i, auth can-i --list, auth whoami; TokenReview and
 * SubjectAccessReview for components that delegate).
 */
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import { badRequest, methodNotAllowed } from '../errors.js';
import type { Authenticate, Authorize, Extensions, SubjectRules, UserInfo } from '../types.js';

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

function userInfoJson(user: UserInfo): Record<string, unknown> {
  return {
    username: user.username,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: [...user.groups],
    ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
  };
}

async function accessStatus(authorize: Authorize, user: UserInfo, spec: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = spec['resourceAttributes'] as ResourceAttributes | undefined;
  const nonRes = spec['nonResourceAttributes'] as { path?: string; verb?: string } | undefined;
  if (!res && !nonRes) throw badRequest('spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
  const decision = res
    ? await authorize({
        user,
        verb: res.verb ?? '',
        isResourceRequest: true,
        apiGroup: res.group ?? '',
        apiVersion: res.version ?? '',
        resource: res.resource ?? '',
        subresource: res.subresource ?? '',
        namespace: res.namespace ?? '',
        name: res.name ?? '',
      })
    : await authorize({ user, verb: nonRes!.verb ?? '', isResourceRequest: false, path: nonRes!.path ?? '' });
  return { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) };
}

const MASTERS_RULES: SubjectRules = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
  incomplete: false,
};

export interface ReviewDeps {
  readonly authorize: Authorize;
  readonly authenticate?: Authenticate;
  readonly extensions: Extensions;
}

export async function review(deps: ReviewDeps, info: ResourceInfo, namespace: string, body: unknown, user: UserInfo): Promise<KubeObject> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`the body must be a ${info.kind}`);
  const object = structuredClone(body) as KubeObject;
  const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  object.apiVersion ??= apiVersion;
  object.kind ??= info.kind;
  if (object.kind !== info.kind) throw badRequest(`the object provided is unrecognized (must be of type ${info.kind}): kind "${String(object.kind)}"`);
  object.metadata = { ...(object.metadata ?? {}), creationTimestamp: null } as never;
  const spec = (object['spec'] ?? {}) as Record<string, unknown>;
  switch (info.kind) {
    case 'SelfSubjectAccessReview':
      object['status'] = await accessStatus(deps.authorize, user, spec);
      return object;
    case 'LocalSubjectAccessReview':
    case 'SubjectAccessReview': {
      const subject: UserInfo = {
        username: String(spec['user'] ?? ''),
        uid: String(spec['uid'] ?? ''),
        groups: Array.isArray(spec['groups']) ? (spec['groups'] as unknown[]).map(String) : [],
        ...(spec['extra'] ? { extra: spec['extra'] as Record<string, string[]> } : {}),
      };
      if (info.kind === 'LocalSubjectAccessReview') {
        const attrs = spec['resourceAttributes'] as ResourceAttributes | undefined;
        if (attrs && attrs.namespace !== undefined && attrs.namespace !== namespace) {
          throw badRequest(`spec.resourceAttributes.namespace: Invalid value: "${attrs.namespace}": must match metadata.namespace`);
        }
      }
      object['status'] = await accessStatus(deps.authorize, subject, spec);
      return object;
    }
    case 'SelfSubjectRulesReview': {
      const ns = String(spec['namespace'] ?? '');
      const masters = user.groups.includes('system:masters');
      const rules = deps.extensions.subjectRules ? await deps.extensions.subjectRules(user, ns) : masters ? MASTERS_RULES : { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'rules are not available from this server' };
      object['status'] = {
        resourceRules: rules.resourceRules,
        nonResourceRules: rules.nonResourceRules,
        incomplete: rules.incomplete,
        ...(rules.evaluationError ? { evaluationError: rules.evaluationError } : {}),
      };
      return object;
    }
    case 'SelfSubjectReview':
      object['status'] = { userInfo: userInfoJson(user) };
      return object;
    case 'TokenReview': {
      const token = String(spec['token'] ?? '');
      if (!deps.authenticate) throw methodNotAllowed();
      try {
        const reviewed = token ? await deps.authenticate({ authorization: `Bearer ${token}` }) : undefined;
        object['status'] = reviewed ? { authenticated: true, user: userInfoJson(reviewed), audiences: spec['audiences'] ?? [] } : { authenticated: false, user: {} };
      } catch (err) {
        object['status'] = { authenticated: false, user: {}, error: err instanceof Error ? err.message : String(err) };
      }
      return object;
    }
    default:
      throw methodNotAllowed();
  }
}
