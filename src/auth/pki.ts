/**
 * The server's PKI under <data-dir>/server/tls, created on first start and reused afterwards:
 * three CAs (server, client, request-header), the API server's serving certificate, client
 * certificates for the admin and the in-process components, and the service-account signing key.
 * CAs are never regenerated once they exist (tokens pin the server CA's hash); leaves are
 * re-issued when they near expiry or their wanted names change (e.g. a new --tls-san).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, chmod } from 'node:fs/promises';
import type { Config } from '../config/types.js';
import { tlsPaths, type TlsPaths } from '../config/paths.js';
import { hostAddresses, parseCidr } from '../config/net.js';
import { logger } from '../log/index.js';
import { createCaCertificate, firstCertificate, leafNeedsRenewal, normalizeSans, signCertificate, type LeafSpec, type SubjectAltNames } from './certs.js';
import { readOptional, writeFileAtomic } from './files.js';
import { canonicalIp } from './ip.js';
import { generateEcKey, parsePrivateKey, parsePrivateKeys, privateKeyToPem } from './keys.js';

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;

/** A certificate (leaf followed by its CA) and its private key, both PEM. */
export interface CertKeyPem {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface Pki {
  readonly paths: TlsPaths;
  /** The cluster (server) CA certificate: what clients trust, what tokens hash. */
  readonly serverCaPem: string;
  /** The CA that client certificates must chain to. */
  readonly clientCaPem: string;
  readonly requestHeaderCaPem: string;
  /** The API server's serving certificate (with the server CA appended) and key. */
  readonly serving: CertKeyPem;
  /** The SANs the serving certificate was issued for. */
  readonly servingSans: SubjectAltNames;
  /** CN=system:admin, O=system:masters: the kubeconfig's identity. */
  readonly admin: CertKeyPem;
  /** CN=system:k3s-supervisor, O=system:masters. */
  readonly supervisor: CertKeyPem;
  /** Current service-account signing key (ECDSA P-256, as upstream's service.key). */
  readonly serviceAccountSigningKey: KeyObject;
  /** Public keys that verify service-account tokens (current first, then older ones). */
  readonly serviceAccountPublicKeys: readonly KeyObject[];
  /** Signs a new client certificate with the client CA (fresh key unless one is given). */
  signClientCertificate(commonName: string, organizations?: readonly string[], key?: KeyObject): Promise<CertKeyPem>;
  /** Signs a serving certificate with the server CA (e.g. a kubelet's: CN node name, SANs its names/IPs). */
  signServingCertificate(commonName: string, sans: readonly string[], key?: KeyObject): Promise<CertKeyPem>;
  /** Options for https/http2.createSecureServer: serving cert, client CA, client certs requested not required. */
  tlsServerOptions(): { key: string; cert: string; ca: string; requestCert: true; rejectUnauthorized: false };
}

export interface PkiOptions {
  /** More SANs for the serving certificate, beyond config.listener.tlsSans. */
  readonly extraSans?: readonly string[];
  /** Add the host's primary IPv4/IPv6 addresses (upstream's default node-ip) to the SANs. Default true. */
  readonly hostAddresses?: boolean;
  readonly now?: Date;
}

export type PkiConfig = Pick<Config, 'dataDir' | 'nodeName' | 'listener' | 'cluster'>;

/** Creates what is missing, renews what must be renewed, and loads the rest. */
export async function ensurePki(config: PkiConfig, options: PkiOptions = {}): Promise<Pki> {
  const paths = tlsPaths(config);
  const now = options.now ?? new Date();
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await chmod(paths.dir, 0o700);

  const serverCa = await ensureCa('k3s-server', paths.serverCa, paths.serverCaKey, now);
  const clientCa = await ensureCa('k3s-client', paths.clientCa, paths.clientCaKey, now);
  const requestHeaderCa = await ensureCa('k3s-request-header', paths.requestHeaderCa, paths.requestHeaderCaKey, now);
  // Upstream keeps single-certificate copies for signers that reject chains.
  await writeIfChanged(paths.serverCaNoChain, firstCertificate(serverCa.certPem) + '\n', CERT_MODE);
  await writeIfChanged(paths.clientCaNoChain, firstCertificate(clientCa.certPem) + '\n', CERT_MODE);

  const servingSans = servingSubjectAltNames(config, options);
  const serving = await ensureLeaf(
    { commonName: 'kube-apiserver', usage: 'server', sans: servingSans },
    paths.servingKubeApiserver,
    paths.servingKubeApiserverKey,
    serverCa,
    now,
  );
  await ensureKey(paths.servingKubeletKey);

  const client = (commonName: string, organizations: string[], cert: string, key: string): Promise<CertKeyPem> =>
    ensureLeaf({ commonName, organizations, usage: 'client' }, cert, key, clientCa, now);
  const admin = await client('system:admin', ['system:masters'], paths.clientAdmin, paths.clientAdminKey);
  const supervisor = await client('system:k3s-supervisor', ['system:masters'], paths.clientSupervisor, paths.clientSupervisorKey);
  await client('system:kube-controller-manager', [], paths.clientController, paths.clientControllerKey);
  await client('system:kube-scheduler', [], paths.clientScheduler, paths.clientSchedulerKey);
  await client('system:apiserver', ['system:masters'], paths.clientKubeApiserver, paths.clientKubeApiserverKey);
  await client('system:kube-proxy', [], paths.clientKubeProxy, paths.clientKubeProxyKey);
  await client('system:k3s-controller', [], paths.clientK3sController, paths.clientK3sControllerKey);
  await ensureKey(paths.clientKubeletKey);
  await ensureLeaf({ commonName: 'system:auth-proxy', usage: 'client' }, paths.clientAuthProxy, paths.clientAuthProxyKey, requestHeaderCa, now);

  const serviceKeys = await ensureServiceAccountKeys(paths);

  return {
    paths,
    serverCaPem: serverCa.certPem,
    clientCaPem: clientCa.certPem,
    requestHeaderCaPem: requestHeaderCa.certPem,
    serving,
    servingSans,
    admin,
    supervisor,
    serviceAccountSigningKey: serviceKeys[0]!,
    serviceAccountPublicKeys: serviceKeys.map((k) => createPublicKey(k)),
    async signClientCertificate(commonName, organizations = [], key = generateEcKey()) {
      const certPem = await signCertificate({ commonName, organizations, usage: 'client' }, key, clientCa.certPem, clientCa.key);
      return { certPem, keyPem: privateKeyToPem(key) };
    },
    async signServingCertificate(commonName, sans, key = generateEcKey()) {
      const certPem = await signCertificate({ commonName, usage: 'server', sans: normalizeSans(sans) }, key, serverCa.certPem, serverCa.key);
      return { certPem, keyPem: privateKeyToPem(key) };
    },
    tlsServerOptions() {
      return { key: serving.keyPem, cert: serving.certPem, ca: clientCa.certPem, requestCert: true, rejectUnauthorized: false };
    },
  };
}

interface Ca {
  readonly certPem: string;
  readonly key: KeyObject;
}

async function ensureCa(prefix: string, certFile: string, keyFile: string, now: Date): Promise<Ca> {
  const [certPem, keyPem] = await Promise.all([readOptional(certFile), readOptional(keyFile)]);
  if (certPem !== undefined && keyPem !== undefined) return { certPem, key: parsePrivateKey(keyPem, keyFile) };
  if (certPem !== undefined) {
    // Regenerating a CA silently would invalidate every issued certificate and join token.
    throw new Error(`${certFile} exists but its key ${keyFile} is missing: restore the key from a backup, or remove both files (and every certificate they signed) to create a new CA`);
  }
  const key = keyPem !== undefined ? parsePrivateKey(keyPem, keyFile) : generateEcKey();
  if (keyPem === undefined) await writeFileAtomic(keyFile, privateKeyToPem(key), KEY_MODE);
  const commonName = `${prefix}-ca@${Math.floor(now.getTime() / 1000)}`;
  const created = await createCaCertificate(commonName, key, now);
  await writeFileAtomic(certFile, created, CERT_MODE);
  logger('auth').info({ file: certFile, commonName }, 'created certificate authority');
  return { certPem: created, key };
}

async function ensureKey(keyFile: string): Promise<KeyObject> {
  const existing = await readOptional(keyFile);
  if (existing !== undefined) return parsePrivateKey(existing, keyFile);
  const key = generateEcKey();
  await writeFileAtomic(keyFile, privateKeyToPem(key), KEY_MODE);
  return key;
}

async function ensureLeaf(spec: LeafSpec, certFile: string, keyFile: string, ca: Ca, now: Date): Promise<CertKeyPem> {
  const [certPem, keyPem] = await Promise.all([readOptional(certFile), readOptional(keyFile)]);
  if (certPem !== undefined && keyPem !== undefined) {
    const reason = leafNeedsRenewal(certPem, spec, ca.certPem, now);
    if (reason === undefined) return { certPem, keyPem };
    logger('auth').info({ file: certFile, reason }, 're-issuing certificate');
  }
  // The key is kept when present so that pinned public keys survive a re-issue.
  const key = keyPem !== undefined ? parsePrivateKey(keyPem, keyFile) : generateEcKey();
  const newKeyPem = keyPem ?? privateKeyToPem(key);
  if (keyPem === undefined) await writeFileAtomic(keyFile, newKeyPem, KEY_MODE);
  const newCertPem = await signCertificate(spec, key, ca.certPem, ca.key, now);
  await writeFileAtomic(certFile, newCertPem, CERT_MODE);
  return { certPem: newCertPem, keyPem: newKeyPem };
}

async function ensureServiceAccountKeys(paths: TlsPaths): Promise<KeyObject[]> {
  let pem = await readOptional(paths.serviceKey);
  if (pem === undefined) {
    pem = privateKeyToPem(generateEcKey());
    await writeFileAtomic(paths.serviceKey, pem, KEY_MODE);
  }
  const keys = parsePrivateKeys(pem);
  if (keys.length === 0) throw new Error(`${paths.serviceKey} holds no PEM private key: remove it to have a new one generated`);
  await writeIfChanged(paths.serviceCurrentKey, privateKeyToPem(keys[0]!), KEY_MODE);
  return keys;
}

async function writeIfChanged(file: string, content: string, mode: number): Promise<void> {
  if ((await readOptional(file)) === content) return;
  await writeFileAtomic(file, content, mode);
}

/**
 * The serving certificate's names: the kubernetes Service names, loopback, the node name, the
 * first address of each service CIDR (the kubernetes Service's ClusterIP), the bind address when
 * specific, the host's primary addresses, then --tls-san and extraSans.
 */
export function servingSubjectAltNames(config: PkiConfig, options: Pick<PkiOptions, 'extraSans' | 'hostAddresses'> = {}): SubjectAltNames {
  const domain = config.cluster.clusterDomain;
  const entries = [
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
    'localhost',
    config.nodeName,
    '127.0.0.1',
    '::1',
    ...config.cluster.serviceCidrs.map(firstAddress).filter((a): a is string => a !== undefined),
  ];
  const bind = config.listener.bindAddress;
  if (bind && bind !== '0.0.0.0' && bind !== '::') entries.push(bind);
  if (options.hostAddresses ?? true) entries.push(...primaryHostAddresses());
  entries.push(...config.listener.tlsSans, ...(options.extraSans ?? []));
  return normalizeSans(entries);
}

/** The first usable address of a CIDR: 10.43.0.0/16 -> 10.43.0.1, fd00:43::/112 -> fd00:43::1. */
export function firstAddress(cidrText: string): string | undefined {
  const cidr = parseCidr(cidrText);
  if (!cidr) return undefined;
  const hex = canonicalIp(cidr.address)!;
  const bits = cidr.family === 4 ? 32 : 128;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - cidr.prefix)) - 1n);
  const value = (BigInt('0x' + hex) & mask) + 1n;
  const digits = value.toString(16).padStart(bits / 4, '0');
  if (cidr.family === 4) return (digits.match(/../g) ?? []).map((b) => parseInt(b, 16)).join('.');
  return (digits.match(/..../g) ?? []).map((g) => parseInt(g, 16).toString(16)).join(':');
}

/** The host's first own IPv4 and IPv6 address (see hostAddresses), like upstream's default --node-ip. */
function primaryHostAddresses(): string[] {
  const own = hostAddresses();
  return [own.find((a) => a.family === 4), own.find((a) => a.family === 6)].flatMap((a) => (a ? [a.address] : []));
}
