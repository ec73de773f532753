/**
 * Compact JWS (RFC 7515) signing and verification for service-account tokens. Only ES256 (ECDSA
 * P-256, upstream k3s's service.key) and RS256 (an RSA service.key a user brings) are accepted;
 * the algorithm is taken from the key, never trusted from the token header, so "none" or an
 * HMAC-with-public-key confusion cannot pass.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'ES256' | 'RS256';

export interface JwtHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: string;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function algorithmFor(key: KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1') throw new Error(`service-account keys on curve ${curve ?? 'unknown'} are not supported; use P-256`);
    return 'ES256';
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  throw new Error(`service-account keys of type ${key.asymmetricKeyType ?? 'unknown'} are not supported; use ECDSA P-256 or RSA`);
}

/** Upstream's key id: unpadded base64url of SHA-256 over the PKIX (SPKI DER) public key. */
const keyIds = new WeakMap<KeyObject, string>();

export function keyId(key: KeyObject): string {
  const cached = keyIds.get(key);
  if (cached !== undefined) return cached;
  const pub = key.type === 'public' ? key : createPublicKey(key);
  const der = pub.export({ format: 'der', type: 'spki' });
  const id = createHash('sha256').update(der).digest('base64url');
  keyIds.set(key, id);
  return id;
}

export function signJwt(claims: object, privateKey: KeyObject): string {
  const alg = algorithmFor(privateKey);
  const header = { alg, kid: keyId(privateKey) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
  return `${input}.${b64url(signature)}`;
}

export interface DecodedJwt {
  readonly header: JwtHeader;
  readonly claims: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** Splits and parses a compact JWT without verifying it; undefined if it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isRecord(header) || typeof header.alg !== 'string' || !isRecord(claims)) return undefined;
    return {
      header: header as unknown as JwtHeader,
      claims,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/** Whether any of `publicKeys` verifies the token's signature with the key's own algorithm. */
export function verifyJwtSignature(jwt: DecodedJwt, publicKeys: readonly KeyObject[]): boolean {
  for (const key of publicKeys) {
    let alg: JwtAlgorithm;
    try {
      alg = algorithmFor(key);
    } catch {
      continue;
    }
    if (jwt.header.alg !== alg) continue;
    if (jwt.header.kid !== undefined && jwt.header.kid !== '' && jwt.header.kid !== keyId(key)) continue;
    const ok = verify('sha256', Buffer.from(jwt.signingInput), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, jwt.signature);
    if (ok) return true;
  }
  return false;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
