/**
 * Certificate creation and inspection. Shapes follow upstream k3s (dynamiclistener's certutil):
 * CAs are self-signed, valid ten years, CN "<prefix>-ca@<unix seconds>"; leaf certificates are
 * valid one year from the CA's notBefore (so clock skew between nodes never makes a fresh cert
 * "not yet valid"), carry digitalSignature+keyEncipherment and one or both of clientAuth /
 * serverAuth, and are written with the CA certificate appended (a chain, as upstream writes).
 */
import { randomBytes, webcrypto, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { canonicalIp, isIpAddress } from './ip.js';
import { toWebCrypto } from './keys.js';

// @peculiar/x509 signs through WebCrypto; hand it node's.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** Upstream renews leaf certificates this many days before they expire. */
export const RENEW_BEFORE_DAYS = 90;

const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const EKU_CLIENT = x509.ExtendedKeyUsage.clientAuth;
const EKU_SERVER = x509.ExtendedKeyUsage.serverAuth;

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
function serial(): string {
  const bytes = randomBytes(8);
  bytes[0] = bytes[0]! & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes.toString('hex');
}

function subjectName(commonName: string, organizations: readonly string[] = []): x509.JsonName {
  // Go's pkix.Name puts O before CN; openssl then prints "O = system:masters, CN = system:admin".
  const name: x509.JsonName = organizations.map((o) => ({ O: [o] }));
  name.push({ CN: [commonName] });
  return name;
}

/** A self-signed CA certificate (PEM) for `key`. */
export async function createCaCertificate(commonName: string, key: KeyObject, now = new Date()): Promise<string> {
  const keys = await toWebCrypto(key);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subjectName(commonName),
    notBefore: now,
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}

/**
 * A leaf certificate for `key`, signed by the CA. Returns the PEM of the leaf followed by the CA
 * certificate (the file content upstream writes).
 */
export async function signCertificate(spec: LeafSpec, key: KeyObject, caCertPem: string, caKey: KeyObject, now = new Date()): Promise<string> {
  const ca = new x509.X509Certificate(firstCertificate(caCertPem));
  const [keys, caKeys] = await Promise.all([toWebCrypto(key), toWebCrypto(caKey)]);
  const usages = spec.usage === 'client' ? [EKU_CLIENT] : spec.usage === 'server' ? [EKU_SERVER] : [EKU_SERVER, EKU_CLIENT];
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages),
    new x509.BasicConstraintsExtension(false, undefined, true),
    await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
  ];
  const sans = spec.sans;
  if (sans && sans.dnsNames.length + sans.ips.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...sans.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...sans.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  const notBefore = ca.notBefore < now ? ca.notBefore : now;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subjectName(spec.commonName, spec.organizations),
    issuer: ca.subjectName,
    notBefore,
    notAfter: new Date(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions,
  });
  return cert.toString('pem') + '\n' + firstCertificate(caCertPem) + '\n';
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
  const cert = new x509.X509Certificate(firstCertificate(pem));
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    commonName: cert.subjectName.getField('CN')[0] ?? '',
    organizations: cert.subjectName.getField('O'),
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value.toLowerCase()),
    ipKeys: names.filter((n) => n.type === 'ip').map((n) => canonicalIp(n.value) ?? n.value),
    notAfter: cert.notAfter,
    isCa: basic?.ca ?? false,
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
