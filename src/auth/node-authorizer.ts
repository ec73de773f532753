/**
 * The Node authorizer (k3s runs --authorization-mode=Node,RBAC): a kubelet, authenticated as
 * system:node:<name> in system:nodes, may read only the secrets, configmaps, PVCs and PVs that
 * pods bound to its node use, create tokens only for those pods' service accounts, and touch only
 * its own lease; everything else it does is checked against upstream's static node rules. It has
 * no opinion about other users, which then fall through to RBAC (see unionAuthorizers).
 *
 * The pod/object graph comes from a callback over the apiserver's watch cache: the pods whose
 * spec.nodeName is the node. PVs are reached through PVCs via `persistentVolumeFor`.
 */
import type { KubeObject } from '../api/types.js';
import { isRecord } from './jwt.js';
import { ruleAllows, type Authorizer, type Decision, type RequestAttributes, type SubjectRulesReviewStatus } from './rbac.js';
import type { PolicyRule } from './rbac-types.js';
import type { UserInfo } from './user.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

type MaybePromise<T> = T | Promise<T>;

export interface NodeGraph {
  /** Pods with spec.nodeName === nodeName. */
  podsOnNode(nodeName: string): MaybePromise<Iterable<KubeObject>>;
  /** The PV a PVC is bound to (spec.volumeName), if known. */
  persistentVolumeFor?(namespace: string, claimName: string): MaybePromise<string | undefined>;
}

const READ = ['get', 'list', 'watch'];

/** Upstream's bootstrappolicy.NodeRules(): what any node may do beyond the graph-scoped checks. */
export function nodeRules(): PolicyRule[] {
  const r = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources });
  return [
    r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    r(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews']),
    r(READ, [''], ['services']),
    r(['create', 'get', 'list', 'watch'], [''], ['nodes']),
    r(['patch', 'update'], [''], ['nodes/status']),
    r(['patch', 'update'], [''], ['nodes']),
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    r(READ, [''], ['pods']),
    r(['create', 'delete'], [''], ['pods']),
    r(['patch', 'update'], [''], ['pods/status']),
    r(['create'], [''], ['pods/eviction']),
    r(READ, [''], ['configmaps', 'secrets']),
    r(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
    r(['get'], [''], ['endpoints']),
    r(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    r(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
    r(['get'], ['storage.k8s.io'], ['volumeattachments']),
    r(['create'], [''], ['serviceaccounts/token']),
    r(['create', 'delete', 'get', 'patch', 'update'], ['storage.k8s.io'], ['csinodes']),
    r(READ, ['node.k8s.io'], ['runtimeclasses']),
  ];
}

/** The node name of a kubelet identity, '' for a node user without a name, undefined for non-nodes. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.username.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length);
}

interface References {
  readonly secrets: Set<string>;
  readonly configmaps: Set<string>;
  readonly pvcs: Set<string>;
  readonly serviceaccounts: Set<string>;
}

/** namespace/name keys of everything the pods reference. */
function references(pods: Iterable<KubeObject>): References {
  const refs: References = { secrets: new Set(), configmaps: new Set(), pvcs: new Set(), serviceaccounts: new Set() };
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    const podName = pod.metadata?.name ?? '';
    const spec = isRecord(pod.spec) ? pod.spec : {};
    const key = (name: unknown): string | undefined => (typeof name === 'string' && name ? `${ns}/${name}` : undefined);
    const add = (set: Set<string>, name: unknown): void => {
      const k = key(name);
      if (k) set.add(k);
    };
    add(refs.serviceaccounts, spec.serviceAccountName ?? spec.serviceAccount ?? 'default');
    for (const s of list(spec.imagePullSecrets)) add(refs.secrets, s.name);
    for (const v of list(spec.volumes)) {
      if (isRecord(v.secret)) add(refs.secrets, v.secret.secretName);
      if (isRecord(v.configMap)) add(refs.configmaps, v.configMap.name);
      if (isRecord(v.persistentVolumeClaim)) add(refs.pvcs, v.persistentVolumeClaim.claimName);
      if (isRecord(v.ephemeral)) add(refs.pvcs, `${podName}-${String(v.name)}`);
      if (isRecord(v.projected)) {
        for (const source of list(v.projected.sources)) {
          if (isRecord(source.secret)) add(refs.secrets, source.secret.name);
          if (isRecord(source.configMap)) add(refs.configmaps, source.configMap.name);
        }
      }
      // Volume plugins that name a secret for credentials.
      for (const plugin of Object.values(v)) {
        if (!isRecord(plugin)) continue;
        for (const field of ['secretRef', 'nodePublishSecretRef', 'nodeStageSecretRef', 'controllerPublishSecretRef']) {
          const ref = plugin[field];
          if (isRecord(ref)) add(refs.secrets, ref.name);
        }
      }
    }
    for (const c of [...list(spec.initContainers), ...list(spec.containers), ...list(spec.ephemeralContainers)]) {
      for (const e of list(c.env)) {
        const from = isRecord(e.valueFrom) ? e.valueFrom : {};
        if (isRecord(from.secretKeyRef)) add(refs.secrets, from.secretKeyRef.name);
        if (isRecord(from.configMapKeyRef)) add(refs.configmaps, from.configMapKeyRef.name);
      }
      for (const e of list(c.envFrom)) {
        if (isRecord(e.secretRef)) add(refs.secrets, e.secretRef.name);
        if (isRecord(e.configMapRef)) add(refs.configmaps, e.configMapRef.name);
      }
    }
  }
  return refs;
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

const NO: Decision = { allowed: false, reason: '' };
const deny = (reason: string): Decision => ({ allowed: false, reason });
const ALLOW: Decision = { allowed: true, reason: '' };

export function createNodeAuthorizer(graph: NodeGraph): Authorizer {
  const rules = nodeRules();

  async function related(nodeName: string, kind: keyof References | 'persistentvolumes', a: RequestAttributes): Promise<Decision> {
    const refs = references(await graph.podsOnNode(nodeName));
    let found: boolean;
    if (kind === 'persistentvolumes') {
      found = false;
      for (const pvc of refs.pvcs) {
        const [ns, name] = pvc.split('/') as [string, string];
        if ((await graph.persistentVolumeFor?.(ns, name)) === a.name) found = true;
      }
    } else {
      found = refs[kind].has(`${a.namespace ?? ''}/${a.name ?? ''}`);
    }
    return found ? ALLOW : deny(`no relationship found between node '${nodeName}' and this object`);
  }

  return {
    async authorize(a) {
      const nodeName = nodeIdentity(a.user);
      if (nodeName === undefined) return NO;
      if (!nodeName) return deny(`unknown node for user "${a.user.username}"`);
      if (a.isResourceRequest) {
        const group = a.apiGroup ?? '';
        const resource = a.resource ?? '';
        const sub = a.subresource ?? '';
        if (group === '' && (resource === 'secrets' || resource === 'configmaps')) {
          if (!READ.includes(a.verb)) return deny('can only read resources of this type');
          if (sub) return deny('cannot read subresource');
          if (!a.namespace) return deny('can only read namespaced object of this type');
          if (!a.name) return deny('No Object name found');
          return related(nodeName, resource, a);
        }
        if (group === '' && resource === 'persistentvolumeclaims') {
          if (sub === 'status') return a.verb === 'update' || a.verb === 'patch' ? related(nodeName, 'pvcs', a) : deny('can only update or patch status');
          if (a.verb !== 'get' || sub || !a.name) return deny('can only get individual resources of this type');
          return related(nodeName, 'pvcs', a);
        }
        if (group === '' && resource === 'persistentvolumes') {
          if (a.verb !== 'get' || sub || !a.name) return deny('can only get individual resources of this type');
          return related(nodeName, 'persistentvolumes', a);
        }
        if (group === '' && resource === 'serviceaccounts' && sub === 'token') {
          if (a.verb !== 'create' || !a.name) return deny('can only create tokens for individual service accounts');
          return related(nodeName, 'serviceaccounts', a);
        }
        if (group === 'coordination.k8s.io' && resource === 'leases') {
          if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return deny('can only get, create, update, patch, or delete a node lease');
          if (a.namespace !== 'kube-node-lease') return deny('can only access leases in the kube-node-lease namespace');
          // The name is unknown on create; admission checks it there.
          if (a.verb !== 'create' && a.name !== nodeName) return deny('can only access node lease with the same name as the requesting node');
          return ALLOW;
        }
      }
      return rules.some((rule) => ruleAllows(a, rule)) ? ALLOW : NO;
    },
    async rulesFor(user) {
      const status: SubjectRulesReviewStatus = { resourceRules: [], nonResourceRules: [], incomplete: false };
      if (!nodeIdentity(user)) return status;
      for (const rule of rules) status.resourceRules.push({ verbs: [...rule.verbs], apiGroups: [...(rule.apiGroups ?? [])], resources: [...(rule.resources ?? [])] });
      return status;
    },
  };
}

/**
 * Authorizers tried in order (k3s: Node, then RBAC); the first allow wins. Deny reasons of
 * authorizers that had an opinion are joined, as upstream's union authorizer does.
 */
export function unionAuthorizers(...authorizers: Authorizer[]): Authorizer {
  return {
    async authorize(a) {
      const reasons: string[] = [];
      for (const authorizer of authorizers) {
        const d = await authorizer.authorize(a);
        if (d.allowed) return d;
        if (d.reason) reasons.push(d.reason);
      }
      return { allowed: false, reason: reasons.join(', ') };
    },
    async rulesFor(user, namespace) {
      const out: SubjectRulesReviewStatus = { resourceRules: [], nonResourceRules: [], incomplete: false };
      const errors: string[] = [];
      for (const authorizer of authorizers) {
        const r = await authorizer.rulesFor(user, namespace);
        out.resourceRules.push(...r.resourceRules);
        out.nonResourceRules.push(...r.nonResourceRules);
        out.incomplete ||= r.incomplete;
        if (r.evaluationError) errors.push(r.evaluationError);
      }
      if (errors.length > 0) out.evaluationError = errors.join(', ');
      return out;
    },
  };
}
