/**
 * Private keys as upstream k3s keeps them: ECDSA P-256 in SEC1 "EC PRIVATE KEY" PEM files.
 * Node's KeyObject is the working form; WebCrypto keys are derived only for @peculiar/x509,
 * which signs certificates through WebCrypto.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';

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

export interface WebCryptoKeyPair {
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicKey: webcrypto.CryptoKey;
}

/** The same key as a WebCrypto pair for ECDSA P-256 / SHA-256 signing. */
export async function toWebCrypto(key: KeyObject): Promise<WebCryptoKeyPair> {
  if (key.asymmetricKeyType !== 'ec') throw new Error(`certificate keys must be ECDSA P-256, got ${key.asymmetricKeyType ?? 'unknown'}`);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, true, ['sign']),
    webcrypto.subtle.importKey('spki', spki, algorithm, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}
