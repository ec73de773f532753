/**
 * Node passwords, as upstream k3s keeps them: an agent joining sends its node name and a password
 * it generated once (K3s-Node-Name / K3s-Node-Password headers); the server stores an scrypt hash
 * in the immutable Secret kube-system/<node>.node-password.k3s on first contact and afterwards
 * refuses that node name with any other password, so one machine cannot take over another's
 * node identity. Hash format (upstream's): "$1:<salt hex>:<log2 N>:<r>:<p>:<base64 raw key>".
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
import { isRecord } from './jwt.js';
import type { ObjectLookup } from './service-account-tokens.js';

const VERSION = 1;
const LOG2_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
const SALT_LENGTH = 8;

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

function scryptOptions(log2N: number, r: number, p: number): ScryptOptions {
  // Node's default memory cap is exactly 128*N*r at N=2^15, r=8; leave headroom.
  return { N: 2 ** log2N, r, p, maxmem: 256 * 2 ** log2N * r + 1024 * 1024 };
}

export async function hashNodePassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, KEY_LENGTH, scryptOptions(LOG2_N, R, P));
  return `$${VERSION}:${salt.toString('hex')}:${LOG2_N}:${R}:${P}:${key.toString('base64').replace(/=+$/, '')}`;
}

export async function verifyNodePassword(hash: string, password: string): Promise<boolean> {
  const m = /^\$(\d+):([0-9a-f]*):(\d+):(\d+):(\d+):([A-Za-z0-9+/]+)$/.exec(hash.trim());
  if (!m || Number(m[1]) !== VERSION) return false;
  const [log2N, r, p] = [Number(m[3]), Number(m[4]), Number(m[5])];
  if (log2N < 1 || log2N > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const want = Buffer.from(m[6]!, 'base64');
  const got = await scrypt(password, Buffer.from(m[2]!, 'hex'), want.length, scryptOptions(log2N, r, p));
  return got.length === want.length && timingSafeEqual(got, want);
}

export function nodePasswordSecretName(nodeName: string): string {
  return `${nodeName}.node-password.k3s`.toLowerCase();
}

/** The Secret to create on a node's first join. */
export async function nodePasswordSecret(nodeName: string, password: string): Promise<KubeObject> {
  const hash = await hashNodePassword(password);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: nodePasswordSecretName(nodeName), namespace: 'kube-system' },
    immutable: true,
    type: 'Opaque',
    data: { hash: Buffer.from(hash).toString('base64') },
  };
}

/**
 * 'missing': first join (create nodePasswordSecret); 'match': the same machine again;
 * 'mismatch': another password for this node name (refuse with 403, as upstream).
 */
export async function checkNodePassword(lookup: ObjectLookup, nodeName: string, password: string): Promise<'missing' | 'match' | 'mismatch'> {
  const secret = await lookup({ kind: 'Secret', namespace: 'kube-system', name: nodePasswordSecretName(nodeName) });
  if (!secret) return 'missing';
  const data = isRecord(secret.data) ? secret.data : {};
  if (typeof data.hash !== 'string') return 'mismatch';
  return (await verifyNodePassword(Buffer.from(data.hash, 'base64').toString('utf8'), password)) ? 'match' : 'mismatch';
}
