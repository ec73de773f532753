/**
 * The per-request authenticator, in upstream's order: client certificate, then bearer token.
 * A credential that is absent is skipped; one that is presented and fails is remembered, and if
 * no other credential succeeds the request is rejected (401), never downgraded to anonymous.
 * Only a request with no credential at all is anonymous (the apiserver then answers 401 except
 * for its public paths).
 *
 * Bearer tokens accepted: service-account JWTs (bound and legacy), plus whatever extra token
 * authenticators the caller adds (e.g. bootstrap tokens, later). The k3s server token is not a
 * Kubernetes API credential upstream (it authenticates to the supervisor's /v1-k3s endpoints via
 * basic auth), so it is not accepted here; see verifyServerTokenBasicAuth in tokens.ts.
 */
import { logger } from '../log/index.js';
import { ClientCertificateVerifier } from './client-certificates.js';
import type { Pki } from './pki.js';
import { ServiceAccountTokens, type ObjectLookup } from './service-account-tokens.js';
import { ANONYMOUS, withAuthenticatedGroup, type UserInfo } from './user.js';

export interface AuthRequest {
  /**
   * The TLS peer certificate: DER bytes, or what tls.TLSSocket#getPeerCertificate() returns
   * (an empty object when the client sent none).
   */
  readonly clientCertificate?: Buffer | { readonly raw?: Buffer } | null | undefined;
  /** The Authorization header, if any. */
  readonly authorization?: string | undefined;
  /**
   * All request headers (node's lower-cased IncomingHttpHeaders). Only needed for front-proxy
   * (request-header) authentication: X-Remote-User / X-Remote-Group / X-Remote-Extra-* sent by a
   * proxy holding the request-header CA's client certificate (CN system:auth-proxy).
   */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

export type AuthResult =
  | { readonly kind: 'authenticated'; readonly user: UserInfo; readonly method: 'requestheader' | 'x509' | 'serviceaccount' | 'token' }
  | { readonly kind: 'anonymous'; readonly user: UserInfo }
  /** A credential was presented and is not valid: answer 401 Unauthorized. `reason` is for logs only. */
  | { readonly kind: 'error'; readonly reason: string };

/** An extra bearer-token authenticator; undefined = "not mine", so the next one may try. */
export type TokenAuthenticator = (token: string) => Promise<{ ok: true; user: UserInfo } | { ok: false; reason: string } | undefined>;

export interface AuthenticatorOptions {
  /** Supplied by the apiserver from its watch cache: SA/pod/secret/node existence for tokens. */
  readonly lookup?: ObjectLookup;
  /** Default https://kubernetes.default.svc.<clusterDomain>. */
  readonly issuer?: string;
  readonly clusterDomain?: string;
  readonly apiAudiences?: readonly string[];
  readonly tokenAuthenticators?: readonly TokenAuthenticator[];
  readonly now?: () => Date;
}

export interface Authenticator {
  authenticate(request: AuthRequest): Promise<AuthResult>;
  /** Issues and verifies service-account tokens with the same keys and issuer. */
  readonly serviceAccountTokens: ServiceAccountTokens;
}

export function createAuthenticator(
  pki: Pick<Pki, 'clientCaPem' | 'serviceAccountSigningKey' | 'serviceAccountPublicKeys'> & Partial<Pick<Pki, 'requestHeaderCaPem'>>,
  options: AuthenticatorOptions = {},
): Authenticator {
  const now = options.now ?? (() => new Date());
  const certificates = new ClientCertificateVerifier(pki.clientCaPem);
  const proxies = pki.requestHeaderCaPem ? new ClientCertificateVerifier(pki.requestHeaderCaPem) : undefined;
  const issuer = options.issuer ?? `https://kubernetes.default.svc.${options.clusterDomain ?? 'cluster.local'}`;
  const serviceAccountTokens = new ServiceAccountTokens({
    signingKey: pki.serviceAccountSigningKey,
    publicKeys: pki.serviceAccountPublicKeys,
    issuer,
    ...(options.apiAudiences ? { apiAudiences: options.apiAudiences } : {}),
    now,
  });
  const extraTokens = options.tokenAuthenticators ?? [];
  // Taken when the authenticator is built, so it follows the CLI's logging configuration.
  const log = logger('auth');

  async function authenticateToken(token: string): Promise<AuthResult> {
    const sa = await serviceAccountTokens.verify(token, options.lookup);
    if (sa.ok) return { kind: 'authenticated', user: withAuthenticatedGroup(sa.user), method: 'serviceaccount' };
    const reasons = sa.recognized ? [sa.reason] : [];
    for (const authenticator of extraTokens) {
      const result = await authenticator(token);
      if (result === undefined) continue;
      if (result.ok) return { kind: 'authenticated', user: withAuthenticatedGroup(result.user), method: 'token' };
      reasons.push(result.reason);
    }
    return { kind: 'error', reason: reasons.length > 0 ? reasons.join('; ') : 'invalid bearer token' };
  }

  return {
    serviceAccountTokens,
    async authenticate(request) {
      const errors: string[] = [];
      const der = peerCertificateDer(request.clientCertificate);
      // Upstream's order: request-header (front proxy) first, then client certificates, then tokens.
      if (der && proxies && request.headers) {
        const user = requestHeaderUser(proxies, der, request.headers, now());
        if (user) return { kind: 'authenticated', user: withAuthenticatedGroup(user), method: 'requestheader' };
      }
      if (der) {
        const check = certificates.verify(der, now());
        if (check.ok) return { kind: 'authenticated', user: withAuthenticatedGroup(check.user), method: 'x509' };
        errors.push(check.reason);
      }
      const token = bearerToken(request.authorization);
      if (token !== undefined) {
        const result = await authenticateToken(token);
        if (result.kind === 'authenticated') return result;
        if (result.kind === 'error') errors.push(result.reason);
      }
      if (errors.length > 0) {
        log.debug({ reasons: errors }, 'authentication failed');
        return { kind: 'error', reason: errors.join('; ') };
      }
      return { kind: 'anonymous', user: ANONYMOUS };
    },
  };
}

function peerCertificateDer(value: AuthRequest['clientCertificate']): Buffer | undefined {
  if (!value) return undefined;
  if (Buffer.isBuffer(value)) return value.length > 0 ? value : undefined;
  return value.raw && value.raw.length > 0 ? value.raw : undefined;
}

/**
 * The token of an "Authorization: Bearer <token>" header, as upstream parses it: the scheme is
 * case-insensitive; another scheme (e.g. Basic) is not a bearer credential and is ignored.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const parts = header.trim().split(/\s+/);
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer' || !parts[1]) return undefined;
  return parts[1];
}

/** The CN a front proxy's certificate must carry (upstream k3s --requestheader-allowed-names). */
export const REQUEST_HEADER_ALLOWED_NAMES = ['system:auth-proxy'];

function headerValues(headers: NonNullable<AuthRequest['headers']>, name: string): string[] {
  const v = headers[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((s: string) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * The user a trusted front proxy asserts, or undefined (not a proxy, or no X-Remote-User) so the
 * request goes on to the other authenticators, as upstream's requestheader authenticator.
 */
function requestHeaderUser(proxies: ClientCertificateVerifier, der: Buffer, headers: NonNullable<AuthRequest['headers']>, now: Date): UserInfo | undefined {
  const username = headerValues(headers, 'x-remote-user')[0];
  if (!username) return undefined;
  const check = proxies.verify(der, now);
  if (!check.ok || !REQUEST_HEADER_ALLOWED_NAMES.includes(check.user.username)) return undefined;
  const extra: Record<string, string[]> = {};
  for (const key of Object.keys(headers)) {
    if (key.startsWith('x-remote-extra-')) extra[decodeURIComponent(key.slice('x-remote-extra-'.length))] = headerValues(headers, key);
  }
  return { username, groups: headerValues(headers, 'x-remote-group'), ...(Object.keys(extra).length ? { extra } : {}) };
}
