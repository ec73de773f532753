/**
 * Bootstrap tokens (kubeadm-style "abcdef.0123456789abcdef"), checked against the Secret
 * kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token, as upstream's bootstrap
 * authenticator: the secret must match, allow usage-bootstrap-authentication, not be expired or
 * deleted. The user is system:bootstrap:<id> in system:bootstrappers plus auth-extra-groups.
 */
import { timingSafeEqual } from 'node:crypto';
import type { TokenAuthenticator } from './authenticator.js';
import { isRecord } from './jwt.js';
import type { ObjectLookup } from './service-account-tokens.js';

const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const BOOTSTRAP_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';

export function bootstrapTokenAuthenticator(lookup: ObjectLookup, now: () => Date = () => new Date()): TokenAuthenticator {
  return async (token) => {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const [, id, secret] = m as unknown as [string, string, string];
    const name = `bootstrap-token-${id}`;
    const object = await lookup({ kind: 'Secret', namespace: 'kube-system', name });
    if (!object) return { ok: false, reason: `bootstrap token secret kube-system/${name} not found` };
    if (object.type !== BOOTSTRAP_SECRET_TYPE) return { ok: false, reason: `secret kube-system/${name} is not of type ${BOOTSTRAP_SECRET_TYPE}` };
    if (object.metadata?.deletionTimestamp) return { ok: false, reason: `bootstrap token ${id} is being deleted` };
    const data = isRecord(object.data) ? object.data : {};
    const field = (key: string): string | undefined => (typeof data[key] === 'string' ? Buffer.from(data[key], 'base64').toString('utf8') : undefined);
    const stored = Buffer.from(field('token-secret') ?? '');
    const given = Buffer.from(secret);
    if (field('token-id') !== undefined && field('token-id') !== id) return { ok: false, reason: `bootstrap token ${id}: token-id does not match` };
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return { ok: false, reason: `bootstrap token ${id}: wrong secret` };
    const expiration = field('expiration');
    if (expiration && !(Date.parse(expiration) > now().getTime())) return { ok: false, reason: `bootstrap token ${id} has expired` };
    if (field('usage-bootstrap-authentication') !== 'true') return { ok: false, reason: `bootstrap token ${id} is not marked for authentication` };
    const extraGroups = (field('auth-extra-groups') ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    for (const g of extraGroups) {
      if (!g.startsWith(`${BOOTSTRAPPERS_GROUP}:`)) return { ok: false, reason: `bootstrap token ${id}: extra group ${g} must start with ${BOOTSTRAPPERS_GROUP}:` };
    }
    return { ok: true, user: { username: `system:bootstrap:${id}`, groups: [BOOTSTRAPPERS_GROUP, ...extraGroups.filter((g) => g !== BOOTSTRAPPERS_GROUP)] } };
  };
}
