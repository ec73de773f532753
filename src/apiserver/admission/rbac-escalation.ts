/**
 * RBAC escalation prevention at admission, as upstream's role and binding storage does: a
 * Role/ClusterRole may only be written with permissions the requester holds, and a binding only
 * to a role whose permissions the requester holds (unless it has escalate / bind). The checks
 * themselves are the authorizer's (src/auth/escalation.ts); this plugin applies them and answers
 * 403 Forbidden with their reason.
 */
import type { KubeObject } from '../../api/types.js';
import { forbidden, groupResource } from '../errors.js';
import type { AdmissionPlugin } from '../registry/admission.js';
import type { UserInfo } from '../types.js';

interface Rule {
  readonly verbs: string[];
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly resourceNames?: string[];
  readonly nonResourceURLs?: string[];
}

export interface EscalationChecks {
  role(user: UserInfo, role: { kind: 'Role' | 'ClusterRole'; namespace: string; name: string; rules: Rule[] }): Promise<string | undefined>;
  binding(user: UserInfo, binding: { namespace: string; roleRef: { apiGroup: string; kind: string; name: string } }): Promise<string | undefined>;
}

const RBAC = 'rbac.authorization.k8s.io';

export function rbacEscalation(checks: EscalationChecks): AdmissionPlugin {
  return {
    name: 'RBACEscalation',
    async admit(a) {
      if (a.info.group !== RBAC || a.operation === 'DELETE' || a.subresource) return;
      const object: KubeObject = a.object;
      const name = object.metadata?.name ?? '';
      let why: string | undefined;
      if (a.info.kind === 'Role' || a.info.kind === 'ClusterRole') {
        why = await checks.role(a.user, { kind: a.info.kind, namespace: a.namespace, name, rules: (object['rules'] as Rule[] | undefined) ?? [] });
      } else if (a.info.kind === 'RoleBinding' || a.info.kind === 'ClusterRoleBinding') {
        const roleRef = object['roleRef'] as { apiGroup: string; kind: string; name: string } | undefined;
        if (roleRef) why = await checks.binding(a.user, { namespace: a.namespace, roleRef });
      }
      if (why) throw forbidden(groupResource(a.info), name, why);
    },
  };
}
