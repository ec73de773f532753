/**
 * Client-certificate authentication: the TLS peer certificate must be signed by the client CA,
 * be within its validity period, and allow client authentication. Username is the subject CN,
 * groups the subject O values (upstream's CommonNameUserConversion).
 */
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { OID, splitCertificates } from './certs.js';
import { readTbs } from './der.js';
import type { UserInfo } from './user.js';

const CACHE_LIMIT = 1024;

export type CertificateCheck = { readonly ok: true; readonly user: UserInfo } | { readonly ok: false; readonly reason: string };

interface Cached {
  readonly result: CertificateCheck;
  readonly notBefore: number;
  readonly notAfter: number;
}

export class ClientCertificateVerifier {
  readonly #cas: NodeX509[];
  readonly #cache = new Map<string, Cached>();

  constructor(clientCaPem: string) {
    this.#cas = splitCertificates(clientCaPem).map((pem) => new NodeX509(pem));
    if (this.#cas.length === 0) throw new Error('the client CA bundle holds no certificate');
  }

  /** Checks a DER-encoded leaf certificate. Results are cached by certificate digest. */
  verify(der: Buffer, now = new Date()): CertificateCheck {
    const digest = createHash('sha256').update(der).digest('base64');
    let cached = this.#cache.get(digest);
    if (!cached) {
      cached = this.#check(der);
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(digest, cached);
    }
    if (!cached.result.ok) return cached.result;
    const t = now.getTime();
    if (t < cached.notBefore) return { ok: false, reason: 'client certificate is not valid yet' };
    if (t > cached.notAfter) return { ok: false, reason: 'client certificate has expired' };
    return cached.result;
  }

  #check(der: Buffer): Cached {
    let cert: NodeX509;
    try {
      cert = new NodeX509(der);
    } catch (err) {
      return { result: { ok: false, reason: `client certificate cannot be parsed: ${(err as Error).message}` }, notBefore: 0, notAfter: 0 };
    }
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    const fail = (reason: string): Cached => ({ result: { ok: false, reason }, notBefore, notAfter });
    if (!this.#cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) return fail('client certificate is not signed by the client CA');
    const usages = cert.keyUsage as string[] | undefined;
    if (usages && usages.length > 0 && !usages.includes(OID.clientAuth) && !usages.includes(OID.anyExtendedKeyUsage)) {
      return fail('client certificate does not allow client authentication');
    }
    // Read only after the CA's signature checked out: the DER is that CA's.
    const subject = readTbs(der).subject;
    const username = subject.get(OID.commonName)?.[0] ?? '';
    if (!username) return fail('client certificate has no common name');
    return { result: { ok: true, user: { username, groups: subject.get(OID.organization) ?? [] } }, notBefore, notAfter };
  }
}
