/**
 * Service-account issuer discovery, as kube-apiserver serves it: /.well-known/openid-configuration
 * and /openid/v1/jwks, so workloads and external systems can verify service-account tokens.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { algorithmFor, keyId } from './jwt.js';

export function openIdConfiguration(issuer: string, jwksUri: string, publicKeys: readonly KeyObject[]): Record<string, unknown> {
  const algs = [...new Set(publicKeys.map((k) => algorithmFor(k)))].sort();
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: algs,
  };
}

/** The JSON Web Key Set of the service-account verification keys. */
export function jwks(publicKeys: readonly KeyObject[]): { keys: Record<string, unknown>[] } {
  return {
    keys: publicKeys.map((k) => {
      const pub = k.type === 'public' ? k : createPublicKey(k);
      return { use: 'sig', kid: keyId(pub), alg: algorithmFor(pub), ...(pub.export({ format: 'jwk' }) as Record<string, unknown>) };
    }),
  };
}
