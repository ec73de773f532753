/**
 * Bootstrap tokens (kubeadm-style "abcdef.0123456789abcdef"), checked against the Secret
 * kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token, as upstream's bootstrap
 * authenticator: the secret must match, allow usage-bootstrap-authentication, not be expired or
 * deleted. The user is system:bootstrap:<id> in system:bootstrappers plus auth-extra-groups.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
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

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** The group upstream k3s gives agent join tokens made by `k3s token create`. */
export const DEFAULT_NODE_TOKEN_GROUP = 'system:bootstrappers:k3s:default-node-token';

function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** A fresh bootstrap token "abcdef.0123456789abcdef" (6 + 16 random characters of [a-z0-9]). */
export function generateBootstrapToken(): { id: string; secret: string; token: string } {
  const id = randomString(6);
  const secret = randomString(16);
  return { id, secret, token: `${id}.${secret}` };
}

export interface BootstrapTokenSpec {
  readonly id: string;
  readonly secret: string;
  /** Default 24 h, as `k3s token create`; 0 = never expires. */
  readonly ttlSeconds?: number;
  readonly description?: string;
  /** Default [DEFAULT_NODE_TOKEN_GROUP]. */
  readonly groups?: readonly string[];
  /** Default ['authentication', 'signing']. */
  readonly usages?: readonly string[];
  readonly now?: Date;
}

/** The kube-system Secret that makes a bootstrap token valid (what `k3s token create` stores). */
export function bootstrapTokenSecret(spec: BootstrapTokenSpec): KubeObject {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const ttl = spec.ttlSeconds ?? 24 * 3600;
  const data: Record<string, string> = { 'token-id': b64(spec.id), 'token-secret': b64(spec.secret) };
  if (spec.description) data.description = b64(spec.description);
  if (ttl > 0) data.expiration = b64(new Date((spec.now ?? new Date()).getTime() + ttl * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  for (const usage of spec.usages ?? ['authentication', 'signing']) data[`usage-bootstrap-${usage}`] = b64('true');
  data['auth-extra-groups'] = b64((spec.groups ?? [DEFAULT_NODE_TOKEN_GROUP]).join(','));
  return { apiVersion: 'v1', kind: 'Secret', type: BOOTSTRAP_SECRET_TYPE, metadata: { name: `bootstrap-token-${spec.id}`, namespace: 'kube-system' }, data };
}
