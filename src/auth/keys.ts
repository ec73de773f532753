/**
 * Private keys as upstream k3s keeps them: ECDSA P-256 in SEC1 "EC PRIVATE KEY" PEM files.
 * Node's KeyObject is the working form (certs.ts signs with it directly).
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export function generateEcKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

/** SEC1 PEM for EC keys (what Go's x509.MarshalECPrivateKey writes), PKCS#1 for RSA. */
export function privateKeyToPem(key: KeyObject): string {
  const type = key.asymmetricKeyType === 'rsa' ? 'pkcs1' : key.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs8';
  return key.export({ format: 'pem', type }) as string;
}

/** Every private key in a PEM bundle, in order (service.key may hold old keys after the first). */
export function parsePrivateKeys(pem: string): KeyObject[] {
  const blocks = pem.match(/-----BEGIN ([A-Z ]*PRIVATE KEY)-----[\s\S]+?-----END \1-----/g) ?? [];
  return blocks.map((block) => createPrivateKey(block));
}

export function parsePrivateKey(pem: string, what: string): KeyObject {
  const [key] = parsePrivateKeys(pem);
  if (!key) throw new Error(`${what} holds no PEM private key`);
  return key;
}
