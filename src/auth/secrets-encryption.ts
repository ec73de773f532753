/**
 * Encryption at rest for secrets, in kube-apiserver's stored format, so a datastore written here
 * reads as upstream's (and back):
 *
 *   aescbc: "k8s:enc:aescbc:v1:<key name>:" + IV(16) + AES-CBC(PKCS#7 padded plaintext)
 *   aesgcm: "k8s:enc:aesgcm:v1:<key name>:" + nonce(12) + AES-GCM(plaintext) + tag(16),
 *           with the storage key as additional data
 *   identity: the plaintext
 *
 * The first provider of a resource encrypts; every provider is tried to decrypt (by prefix), so
 * keys can be rotated by adding a new first key. k3s --secrets-encryption writes
 * <data-dir>/server/cred/encryption-config.json with one aescbc key named "aescbckey" followed by
 * identity; ensureEncryptionConfig does the same. secretbox and kms are refused loudly.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Config } from '../config/types.js';
import { serverPaths } from '../config/paths.js';
import { readOptional, writeFileAtomic } from './files.js';
import { isRecord } from './jwt.js';

interface Provider {
  /** Prefix of the values this provider wrote; '' for identity. */
  readonly prefixes: readonly { readonly prefix: Buffer; readonly key: Buffer; readonly kind: 'aescbc' | 'aesgcm' }[];
  readonly identity: boolean;
  encrypt(plaintext: Buffer, storageKey: string): Buffer;
}

export interface EncryptionTransformer {
  /** Whether a resource ("secrets", or "resource.group") is encrypted by a non-identity provider. */
  encrypts(resource: string): boolean;
  encrypt(resource: string, storageKey: string, plaintext: Buffer): Buffer;
  /** Plaintext, and whether it was written with a provider other than the current first one (re-encrypt). */
  decrypt(resource: string, storageKey: string, stored: Buffer): { data: Buffer; stale: boolean };
}

const IDENTITY: Provider = { prefixes: [], identity: true, encrypt: (p) => p };
const ENC_MARK = Buffer.from('k8s:enc:');

function aesKey(name: string, secret: unknown): Buffer {
  if (typeof secret !== 'string') throw new Error(`encryption key ${name}: secret must be a base64 string`);
  const key = Buffer.from(secret, 'base64');
  if (![16, 24, 32].includes(key.length)) throw new Error(`encryption key ${name}: must be 16, 24 or 32 bytes, got ${key.length}`);
  return key;
}

function aesProvider(kind: 'aescbc' | 'aesgcm', config: unknown): Provider {
  const keys = isRecord(config) && Array.isArray(config.keys) ? config.keys.filter(isRecord) : [];
  if (keys.length === 0) throw new Error(`${kind}: at least one key is required`);
  const prefixes = keys.map((k) => {
    const name = typeof k.name === 'string' && k.name ? k.name : '';
    if (!name) throw new Error(`${kind}: every key needs a name`);
    return { prefix: Buffer.from(`k8s:enc:${kind}:v1:${name}:`), key: aesKey(name, k.secret), kind };
  });
  const first = prefixes[0]!;
  const bits = first.key.length * 8;
  return {
    prefixes,
    identity: false,
    encrypt(plaintext, storageKey) {
      if (kind === 'aescbc') {
        const iv = randomBytes(16);
        const cipher = createCipheriv(`aes-${bits}-cbc`, first.key, iv);
        return Buffer.concat([first.prefix, iv, cipher.update(plaintext), cipher.final()]);
      }
      const nonce = randomBytes(12);
      const cipher = createCipheriv(`aes-${bits}-gcm` as CipherGCMTypes, first.key, nonce);
      cipher.setAAD(Buffer.from(storageKey));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([first.prefix, nonce, body, cipher.getAuthTag()]);
    },
  };
}

function decryptWith(p: Provider['prefixes'][number], payload: Buffer, storageKey: string): Buffer {
  const bits = p.key.length * 8;
  if (p.kind === 'aescbc') {
    if (payload.length < 32 || payload.length % 16 !== 0) throw new Error('the stored value is not valid aescbc data');
    const decipher = createDecipheriv(`aes-${bits}-cbc`, p.key, payload.subarray(0, 16));
    return Buffer.concat([decipher.update(payload.subarray(16)), decipher.final()]);
  }
  if (payload.length < 28) throw new Error('the stored value is not valid aesgcm data');
  const decipher = createDecipheriv(`aes-${bits}-gcm` as CipherGCMTypes, p.key, payload.subarray(0, 12));
  decipher.setAAD(Buffer.from(storageKey));
  decipher.setAuthTag(payload.subarray(payload.length - 16));
  return Buffer.concat([decipher.update(payload.subarray(12, payload.length - 16)), decipher.final()]);
}

/** Builds the transformer from an EncryptionConfiguration (JSON or YAML text, or parsed). */
export function createEncryptionTransformer(configuration: string | Record<string, unknown>): EncryptionTransformer {
  const doc = typeof configuration === 'string' ? (parse(configuration) as unknown) : configuration;
  if (!isRecord(doc) || doc.kind !== 'EncryptionConfiguration') throw new Error('the encryption configuration must be kind EncryptionConfiguration (apiserver.config.k8s.io/v1)');
  const byResource = new Map<string, Provider[]>();
  for (const entry of Array.isArray(doc.resources) ? doc.resources.filter(isRecord) : []) {
    const providers: Provider[] = [];
    for (const p of Array.isArray(entry.providers) ? entry.providers.filter(isRecord) : []) {
      const [type] = Object.keys(p);
      if (type === 'identity') providers.push(IDENTITY);
      else if (type === 'aescbc' || type === 'aesgcm') providers.push(aesProvider(type, p[type]));
      else throw new Error(`encryption provider ${type ?? '(none)'} is not supported; use aescbc, aesgcm or identity`);
    }
    if (providers.length === 0) throw new Error('every resources entry of the encryption configuration needs providers');
    for (const resource of Array.isArray(entry.resources) ? entry.resources : []) {
      if (typeof resource === 'string' && !byResource.has(resource)) byResource.set(resource, providers);
    }
  }
  const providersFor = (resource: string): Provider[] => byResource.get(resource) ?? byResource.get('*.*') ?? [IDENTITY];
  return {
    encrypts: (resource) => !providersFor(resource)[0]!.identity,
    encrypt: (resource, storageKey, plaintext) => providersFor(resource)[0]!.encrypt(plaintext, storageKey),
    decrypt(resource, storageKey, stored) {
      const providers = providersFor(resource);
      for (const [index, provider] of providers.entries()) {
        for (const [keyIndex, p] of provider.prefixes.entries()) {
          if (stored.subarray(0, p.prefix.length).equals(p.prefix)) {
            return { data: decryptWith(p, stored.subarray(p.prefix.length), storageKey), stale: index > 0 || keyIndex > 0 };
          }
        }
      }
      if (stored.subarray(0, ENC_MARK.length).equals(ENC_MARK)) {
        throw new Error(`${storageKey} is encrypted with a key this server does not have (${stored.subarray(0, 40).toString('latin1').split(':').slice(0, 5).join(':')})`);
      }
      if (!providers.some((p) => p.identity)) throw new Error(`${storageKey} is stored unencrypted but identity is not an allowed provider`);
      return { data: stored, stale: !providers[0]!.identity };
    },
  };
}

/** Upstream's path: <data-dir>/server/cred/encryption-config.json. */
export function encryptionConfigPath(config: Pick<Config, 'dataDir'>): string {
  return join(serverPaths(config).credDir, 'encryption-config.json');
}

/** Creates the k3s default encryption configuration (aescbc "aescbckey", then identity) if missing; returns its text. */
export async function ensureEncryptionConfig(config: Pick<Config, 'dataDir'>): Promise<string> {
  const path = encryptionConfigPath(config);
  const existing = await readOptional(path);
  if (existing !== undefined && existing.trim()) return existing;
  const text = JSON.stringify({
    kind: 'EncryptionConfiguration',
    apiVersion: 'apiserver.config.k8s.io/v1',
    resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'aescbckey', secret: randomBytes(32).toString('base64') }] } }, { identity: {} }] }],
  });
  await writeFileAtomic(path, text, 0o600);
  return text;
}
