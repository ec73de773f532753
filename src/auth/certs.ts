/**
 * Certificate creation and inspection. Shapes follow upstream k3s (dynamiclistener's certutil):
 * CAs are self-signed, valid ten years, CN "<prefix>-ca@<unix seconds>"; leaf certificates are
 * valid one year from the CA's notBefore (so clock skew between nodes never makes a fresh cert
 * "not yet valid"), carry digitalSignature+keyEncipherment and one or both of clientAuth /
 * serverAuth, and are written with the CA certificate appended (a chain, as upstream writes).
 */
import { createHash, createPublicKey, randomBytes, sign, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import * as der from './der.js';
import { canonicalIp, isIpAddress } from './ip.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** Upstream renews leaf certificates this many days before they expire. */
export const RENEW_BEFORE_DAYS = 90;

export const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;
// KeyUsage bit numbers (RFC 5280 4.2.1.3).
const DIGITAL_SIGNATURE = 0;
const KEY_ENCIPHERMENT = 2;
const KEY_CERT_SIGN = 5;

export type CertUsage = 'client' | 'server' | 'client+server';

export interface SubjectAltNames {
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
}

export interface LeafSpec {
  readonly commonName: string;
  readonly organizations?: readonly string[];
  readonly usage: CertUsage;
  readonly sans?: SubjectAltNames;
}

/** A positive random serial of 63 bits, as Go's certutil draws it. */
function serial(): Buffer {
  const bytes = randomBytes(8);
  bytes[0] = bytes[0]! & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes;
}

function subjectName(commonName: string, organizations: readonly string[] = []): Buffer {
  // Go's pkix.Name puts O before CN; openssl then prints "O = system:masters, CN = system:admin".
  const rdn = (type: string, value: string): Buffer => der.set(der.sequence(der.oid(type), der.utf8String(value)));
  return der.sequence(...organizations.map((o) => rdn(OID.organization, o)), rdn(OID.commonName, commonName));
}

function ecKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ec') throw new Error(`certificate keys must be ECDSA P-256, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** SubjectPublicKeyInfo DER of a private or public key. */
function spki(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
}

/** RFC 5280 key identifier: SHA-1 of the subjectPublicKey bits (what Go and openssl use). */
function keyId(spkiDer: Buffer): Buffer {
  const [, bits] = der.children(der.children(spkiDer)[0]!.body);
  return createHash('sha1').update(bits!.body.subarray(1)).digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.oid(id), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

interface TbsSpec {
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectKey: Buffer;
  readonly extensions: readonly Buffer[];
}

function issue(spec: TbsSpec, signingKey: KeyObject): string {
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(serial()),
    algorithm,
    spec.issuer,
    der.sequence(der.time(spec.notBefore), der.time(spec.notAfter)),
    spec.subject,
    spec.subjectKey,
    der.explicit(3, der.sequence(...spec.extensions)),
  );
  // node's ECDSA signature is DER (r, s) already, the form X.509 carries.
  const signature = sign('sha256', tbs, ecKey(signingKey));
  const cert = der.sequence(tbs, algorithm, der.bitString(signature));
  const base64 = cert.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(firstCertificate(pem).replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A self-signed CA certificate (PEM) for `key`. */
export async function createCaCertificate(commonName: string, key: KeyObject, now = new Date()): Promise<string> {
  const publicKey = spki(ecKey(key));
  const name = subjectName(commonName);
  const pem = issue(
    {
      issuer: name,
      subject: name,
      notBefore: now,
      notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
      subjectKey: publicKey,
      extensions: [
        extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
        extension(OID.keyUsage, true, der.namedBits([DIGITAL_SIGNATURE, KEY_ENCIPHERMENT, KEY_CERT_SIGN])),
        extension(OID.subjectKeyId, false, der.octetString(keyId(publicKey))),
      ],
    },
    key,
  );
  return pem + '\n';
}

/**
 * A leaf certificate for `key`, signed by the CA. Returns the PEM of the leaf followed by the CA
 * certificate (the file content upstream writes).
 */
export async function signCertificate(spec: LeafSpec, key: KeyObject, caCertPem: string, caKey: KeyObject, now = new Date()): Promise<string> {
  const ca = der.readTbs(pemBody(caCertPem));
  const usages = spec.usage === 'client' ? [OID.clientAuth] : spec.usage === 'server' ? [OID.serverAuth] : [OID.serverAuth, OID.clientAuth];
  // The CA's own key identifier when it states one (a CA from elsewhere may compute it differently).
  const caSki = ca.extensions.get(OID.subjectKeyId);
  const caKeyId = caSki ? der.children(caSki)[0]!.body : keyId(spki(ecKey(caKey)));
  const extensions = [
    extension(OID.keyUsage, true, der.namedBits([DIGITAL_SIGNATURE, KEY_ENCIPHERMENT])),
    extension(OID.extKeyUsage, false, der.sequence(...usages.map((u) => der.oid(u)))),
    extension(OID.basicConstraints, true, der.sequence()),
    extension(OID.authorityKeyId, false, der.sequence(der.implicit(0, caKeyId))),
  ];
  const sans = spec.sans;
  if (sans && sans.dnsNames.length + sans.ips.length > 0) {
    const names = [
      ...sans.dnsNames.map((name) => der.implicit(2, Buffer.from(name, 'ascii'))),
      ...sans.ips.map((ip) => {
        const hex = canonicalIp(ip);
        if (!hex) throw new Error(`not an IP address: ${ip}`);
        return der.implicit(7, Buffer.from(hex, 'hex'));
      }),
    ];
    extensions.push(extension(OID.subjectAltName, false, der.sequence(...names)));
  }
  const notBefore = ca.notBefore < now ? ca.notBefore : now;
  const pem = issue(
    {
      issuer: ca.subjectDer,
      subject: subjectName(spec.commonName, spec.organizations),
      notBefore,
      notAfter: new Date(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS),
      subjectKey: spki(ecKey(key)),
      extensions,
    },
    caKey,
  );
  return pem + '\n' + firstCertificate(caCertPem) + '\n';
}

/** The PEM blocks of every certificate in a bundle. */
export function splitCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function firstCertificate(pem: string): string {
  const [first] = splitCertificates(pem);
  if (!first) throw new Error('no PEM certificate found');
  return first;
}

/** Splits SAN entries into DNS names and IPs, dropping duplicates (IPs compared canonically). */
export function normalizeSans(entries: Iterable<string>): SubjectAltNames {
  const dnsNames: string[] = [];
  const ips: string[] = [];
  const seenIps = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    if (isIpAddress(entry)) {
      const key = canonicalIp(entry)!;
      if (!seenIps.has(key)) {
        seenIps.add(key);
        ips.push(entry);
      }
    } else if (!dnsNames.includes(entry.toLowerCase())) {
      dnsNames.push(entry.toLowerCase());
    }
  }
  return { dnsNames, ips };
}

export interface CertificateInfo {
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly dnsNames: readonly string[];
  /** Canonical hex form (see canonicalIp). */
  readonly ipKeys: readonly string[];
  readonly notAfter: Date;
  readonly isCa: boolean;
}

export function inspectCertificate(pem: string): CertificateInfo {
  const tbs = der.readTbs(pemBody(pem));
  const dnsNames: string[] = [];
  const ipKeys: string[] = [];
  const san = tbs.extensions.get(OID.subjectAltName);
  if (san) {
    for (const name of der.children(der.children(san)[0]!.body)) {
      if (name.tag === 0x82) dnsNames.push(name.body.toString('ascii').toLowerCase());
      else if (name.tag === 0x87) ipKeys.push(name.body.toString('hex'));
    }
  }
  const basic = tbs.extensions.get(OID.basicConstraints);
  const basicFields = basic ? der.children(der.children(basic)[0]!.body) : [];
  return {
    commonName: tbs.subject.get(OID.commonName)?.[0] ?? '',
    organizations: tbs.subject.get(OID.organization) ?? [],
    dnsNames,
    ipKeys,
    notAfter: tbs.notAfter,
    isCa: basicFields[0]?.tag === 0x01 && basicFields[0].body[0] !== 0,
  };
}

/** Whether the first certificate of `certPem` carries a valid signature by the CA in `caPem`. */
export function issuedBy(certPem: string, caPem: string): boolean {
  try {
    const cert = new NodeX509(firstCertificate(certPem));
    const ca = new NodeX509(firstCertificate(caPem));
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/**
 * Why an existing leaf must be re-issued, or undefined if it can stay. As upstream: it expires
 * within RENEW_BEFORE_DAYS, its CN or O differ, a wanted SAN is missing (extra SANs are kept),
 * or it is no longer signed by the CA.
 */
export function leafNeedsRenewal(certPem: string, spec: LeafSpec, caPem: string, now = new Date()): string | undefined {
  let info: CertificateInfo;
  try {
    info = inspectCertificate(certPem);
  } catch (err) {
    return `it cannot be parsed (${(err as Error).message})`;
  }
  if (info.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return `it expires on ${info.notAfter.toISOString()}`;
  if (info.commonName !== spec.commonName) return `its CN is ${info.commonName}, want ${spec.commonName}`;
  const wantOrgs = [...(spec.organizations ?? [])].sort();
  const haveOrgs = [...info.organizations].sort();
  if (wantOrgs.join('\n') !== haveOrgs.join('\n')) return `its O is [${haveOrgs.join(', ')}], want [${wantOrgs.join(', ')}]`;
  const missingDns = (spec.sans?.dnsNames ?? []).filter((d) => !info.dnsNames.includes(d.toLowerCase()));
  const missingIps = (spec.sans?.ips ?? []).filter((ip) => !info.ipKeys.includes(canonicalIp(ip) ?? ip));
  if (missingDns.length + missingIps.length > 0) return `it lacks the SANs ${[...missingDns, ...missingIps].join(', ')}`;
  if (!issuedBy(certPem, caPem)) return 'it is not signed by the current CA';
  return undefined;
}
