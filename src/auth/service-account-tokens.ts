/**
 * Service-account tokens, as kube-apiserver issues and checks them.
 *
 * Bound tokens (TokenRequest, `kubectl create token`, projected volumes) are JWTs signed ES256
 * with service.key (ECDSA P-256 — the key type upstream k3s generates; RS256 is used instead if
 * the operator supplies an RSA service.key). Claims, as upstream:
 *   iss  https://kubernetes.default.svc.<cluster-domain>
 *   aud  the requested audiences (default: the API audiences, [issuer, "k3s"])
 *   sub  system:serviceaccount:NS:NAME
 *   exp/iat/nbf, jti (a random UUID)
 *   kubernetes.io {namespace, serviceaccount{name,uid}, pod?|secret?|node?{name,uid}}
 * Legacy tokens (kubernetes.io/service-account-token Secrets) have iss "kubernetes/serviceaccount",
 * no exp, and the flat kubernetes.io/serviceaccount/* claims.
 *
 * Verification checks the signature (remembered per token, so repeat requests skip the ECDSA
 * check), times (60 s leeway, as upstream's JWT validation), issuer and audience on every call;
 * then asks the caller-supplied lookup that the service account (and the bound pod,
 * secret or node) still exists with the same uid.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
import { decodeJwt, isRecord, signJwt, verifyJwtSignature } from './jwt.js';
import { serviceAccountGroups, serviceAccountUsername, type UserInfo } from './user.js';

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** TokenRequest's minimum, as upstream validation. */
export const MIN_EXPIRATION_SECONDS = 600;
const LEEWAY_SECONDS = 60;
/** Tokens whose signature was already verified; a signature check costs ~0.15 ms, a lookup ~µs. */
const SIGNATURE_CACHE_LIMIT = 4096;

export type BoundObjectKind = 'Pod' | 'Secret' | 'Node';

export interface BoundObjectRef {
  readonly kind: BoundObjectKind;
  readonly name: string;
  readonly uid: string;
}

export interface TokenRequestSpec {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly serviceAccountUid: string;
  /** Default: the API audiences. */
  readonly audiences?: readonly string[];
  /** Default 3600; at least 600. */
  readonly expirationSeconds?: number;
  readonly boundObject?: BoundObjectRef;
}

export interface IssuedToken {
  readonly token: string;
  readonly expirationTimestamp: Date;
}

/** What the apiserver supplies so tokens die with their objects. Undefined = does not exist. */
export type ObjectLookup = (ref: { kind: 'ServiceAccount' | BoundObjectKind; namespace?: string; name: string }) => Promise<KubeObject | undefined>;

export interface ServiceAccountTokenOptions {
  readonly signingKey: KeyObject;
  readonly publicKeys: readonly KeyObject[];
  /** Default https://kubernetes.default.svc.cluster.local */
  readonly issuer?: string;
  /** Audiences the API server accepts; default [issuer, "k3s"] as upstream k3s. */
  readonly apiAudiences?: readonly string[];
  readonly now?: () => Date;
}

export type TokenVerification = { readonly ok: true; readonly user: UserInfo } | { readonly ok: false; readonly recognized: boolean; readonly reason: string };

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly apiAudiences: readonly string[];
  readonly #signingKey: KeyObject;
  readonly #publicKeys: readonly KeyObject[];
  readonly #now: () => Date;
  readonly #verifiedSignatures = new Set<string>();

  constructor(options: ServiceAccountTokenOptions) {
    this.issuer = options.issuer ?? 'https://kubernetes.default.svc.cluster.local';
    this.apiAudiences = options.apiAudiences ?? [this.issuer, 'k3s'];
    this.#signingKey = options.signingKey;
    this.#publicKeys = options.publicKeys;
    this.#now = options.now ?? (() => new Date());
  }

  /** A bound token for TokenRequest. Throws on an expiration below the minimum. */
  issue(spec: TokenRequestSpec): IssuedToken {
    const expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS) {
      throw new RangeError(`expirationSeconds may not specify a duration less than ${MIN_EXPIRATION_SECONDS} seconds`);
    }
    const iat = Math.floor(this.#now().getTime() / 1000);
    const exp = iat + expirationSeconds;
    const k8s: Record<string, unknown> = {
      namespace: spec.namespace,
      serviceaccount: { name: spec.serviceAccountName, uid: spec.serviceAccountUid },
    };
    if (spec.boundObject) k8s[spec.boundObject.kind.toLowerCase()] = { name: spec.boundObject.name, uid: spec.boundObject.uid };
    const audiences = spec.audiences && spec.audiences.length > 0 ? [...spec.audiences] : [...this.apiAudiences];
    const claims = {
      aud: audiences,
      exp,
      iat,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': k8s,
      nbf: iat,
      sub: serviceAccountUsername(spec.namespace, spec.serviceAccountName),
    };
    return { token: signJwt(claims, this.#signingKey), expirationTimestamp: new Date(exp * 1000) };
  }

  /** A legacy (non-expiring) token for a kubernetes.io/service-account-token Secret. */
  issueLegacy(spec: { namespace: string; serviceAccountName: string; serviceAccountUid: string; secretName: string }): string {
    return signJwt(
      {
        iss: LEGACY_ISSUER,
        'kubernetes.io/serviceaccount/namespace': spec.namespace,
        'kubernetes.io/serviceaccount/secret.name': spec.secretName,
        'kubernetes.io/serviceaccount/service-account.name': spec.serviceAccountName,
        'kubernetes.io/serviceaccount/service-account.uid': spec.serviceAccountUid,
        sub: serviceAccountUsername(spec.namespace, spec.serviceAccountName),
      },
      this.#signingKey,
    );
  }

  /**
   * Verifies a bearer token. `recognized: false` means "not one of ours" (not a JWT, or another
   * issuer), so other token authenticators may try it; a recognized but invalid token is an error.
   * Without `lookup` the existence checks are skipped (only for tests and offline tools).
   */
  async verify(token: string, lookup: ObjectLookup | undefined, audiences: readonly string[] = this.apiAudiences): Promise<TokenVerification> {
    const jwt = decodeJwt(token);
    if (!jwt) return { ok: false, recognized: false, reason: 'not a JWT' };
    const iss = jwt.claims.iss;
    if (iss !== this.issuer && iss !== LEGACY_ISSUER) return { ok: false, recognized: false, reason: `issuer ${String(iss)} is not ours` };
    if (!this.#verifiedSignatures.has(token)) {
      if (!verifyJwtSignature(jwt, this.#publicKeys)) return invalid('invalid signature');
      if (this.#verifiedSignatures.size >= SIGNATURE_CACHE_LIMIT) this.#verifiedSignatures.delete(this.#verifiedSignatures.values().next().value as string);
      this.#verifiedSignatures.add(token);
    }
    return iss === LEGACY_ISSUER ? this.#verifyLegacy(token, jwt.claims, lookup) : this.#verifyBound(jwt.claims, lookup, audiences);
  }

  async #verifyBound(claims: Record<string, unknown>, lookup: ObjectLookup | undefined, audiences: readonly string[]): Promise<TokenVerification> {
    const now = Math.floor(this.#now().getTime() / 1000);
    if (typeof claims.exp !== 'number') return invalid('token has no expiry');
    if (now > claims.exp + LEEWAY_SECONDS) return invalid('token has expired');
    if (typeof claims.nbf === 'number' && now < claims.nbf - LEEWAY_SECONDS) return invalid('token is not valid yet');
    if (typeof claims.iat === 'number' && now < claims.iat - LEEWAY_SECONDS) return invalid('token was issued in the future');
    const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : [];
    if (!aud.some((a) => audiences.includes(a))) return invalid('token audiences are not accepted by this server');
    const k8s = claims['kubernetes.io'];
    if (!isRecord(k8s) || typeof k8s.namespace !== 'string' || !isRecord(k8s.serviceaccount)) return invalid('token lacks kubernetes.io claims');
    const namespace = k8s.namespace;
    const sa = nameUid(k8s.serviceaccount);
    if (!sa) return invalid('token lacks the service account name and uid');
    if (claims.sub !== serviceAccountUsername(namespace, sa.name)) return invalid('token subject does not match its service account');
    const extra: Record<string, string[]> = {};
    if (typeof claims.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    if (lookup) {
      const problem = await checkObject(lookup, 'ServiceAccount', namespace, sa);
      if (problem) return invalid(problem);
    }
    for (const kind of ['Pod', 'Secret', 'Node'] as const) {
      const bound = k8s[kind.toLowerCase()];
      if (bound === undefined) continue;
      const ref = nameUid(bound);
      if (!ref) return invalid(`token's bound ${kind} lacks a name and uid`);
      if (lookup) {
        const problem = await checkObject(lookup, kind, kind === 'Node' ? undefined : namespace, ref);
        if (problem) return invalid(problem);
      }
      if (kind === 'Pod') {
        extra['authentication.kubernetes.io/pod-name'] = [ref.name];
        extra['authentication.kubernetes.io/pod-uid'] = [ref.uid];
      } else if (kind === 'Node') {
        extra['authentication.kubernetes.io/node-name'] = [ref.name];
        extra['authentication.kubernetes.io/node-uid'] = [ref.uid];
      }
    }
    return {
      ok: true,
      user: { username: serviceAccountUsername(namespace, sa.name), uid: sa.uid, groups: serviceAccountGroups(namespace), extra },
    };
  }

  async #verifyLegacy(token: string, claims: Record<string, unknown>, lookup: ObjectLookup | undefined): Promise<TokenVerification> {
    const namespace = claims['kubernetes.io/serviceaccount/namespace'];
    const secretName = claims['kubernetes.io/serviceaccount/secret.name'];
    const name = claims['kubernetes.io/serviceaccount/service-account.name'];
    const uid = claims['kubernetes.io/serviceaccount/service-account.uid'];
    if (typeof namespace !== 'string' || typeof secretName !== 'string' || typeof name !== 'string' || typeof uid !== 'string') {
      return invalid('legacy token lacks its kubernetes.io/serviceaccount claims');
    }
    if (claims.sub !== serviceAccountUsername(namespace, name)) return invalid('token subject does not match its service account');
    if (lookup) {
      const problem = await checkObject(lookup, 'ServiceAccount', namespace, { name, uid });
      if (problem) return invalid(problem);
      const secret = await lookup({ kind: 'Secret', namespace, name: secretName });
      if (!secret) return invalid(`secret ${namespace}/${secretName} holding the token no longer exists`);
      const data = isRecord(secret.data) ? secret.data : {};
      const stored = typeof data.token === 'string' ? Buffer.from(data.token, 'base64').toString('utf8') : undefined;
      if (stored !== token) return invalid(`token does not match the copy in secret ${namespace}/${secretName}`);
    }
    return {
      ok: true,
      user: {
        username: serviceAccountUsername(namespace, name),
        uid,
        groups: serviceAccountGroups(namespace),
      },
    };
  }
}

function invalid(reason: string): TokenVerification {
  return { ok: false, recognized: true, reason };
}

function nameUid(value: unknown): { name: string; uid: string } | undefined {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.uid !== 'string' || !value.name) return undefined;
  return { name: value.name, uid: value.uid };
}

async function checkObject(lookup: ObjectLookup, kind: 'ServiceAccount' | BoundObjectKind, namespace: string | undefined, ref: { name: string; uid: string }): Promise<string | undefined> {
  const where = namespace ? `${namespace}/${ref.name}` : ref.name;
  const object = await lookup(namespace === undefined ? { kind, name: ref.name } : { kind, namespace, name: ref.name });
  if (!object) return `${kind} ${where} no longer exists`;
  const meta = object.metadata ?? {};
  if (meta.uid !== ref.uid) return `${kind} ${where} has uid ${String(meta.uid)}, the token was issued for ${ref.uid}`;
  if (meta.deletionTimestamp) return `${kind} ${where} is being deleted`;
  return undefined;
}
