/**
 * serviceaccounts/<name>/token (TokenRequest, `kubectl create token`): a signed, expiring
 * service-account JWT for an existing ServiceAccount; the signing itself is the auth component's.
 */
import type { Catalogue } from '../../api/catalogue.js';
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import { badRequest, invalid, StatusError } from '../errors.js';
import type { Registry } from '../registry/store.js';
import type { Extensions } from '../types.js';

const MIN_EXPIRATION = 600;
const MAX_EXPIRATION = 2 ** 32;

export async function requestToken(registry: Registry, catalogue: Catalogue, ext: Extensions, info: ResourceInfo, namespace: string, name: string, body: unknown, dryRun: boolean): Promise<KubeObject> {
  if (!ext.issueServiceAccountToken) {
    throw new StatusError(405, 'MethodNotAllowed', 'service account token signing is not configured on this server');
  }
  const request = (body ?? {}) as KubeObject & { spec?: { audiences?: unknown; expirationSeconds?: unknown; boundObjectRef?: { kind?: string; name?: string; uid?: string; apiVersion?: string } } };
  if (request.kind !== undefined && request.kind !== 'TokenRequest') throw badRequest(`the object provided is unrecognized (must be of type TokenRequest): kind "${String(request.kind)}"`);
  const spec = request.spec ?? {};
  const expirationSeconds = spec.expirationSeconds === undefined ? 3600 : spec.expirationSeconds;
  if (typeof expirationSeconds !== 'number' || !Number.isInteger(expirationSeconds)) throw badRequest('spec.expirationSeconds must be an integer');
  if (expirationSeconds < MIN_EXPIRATION || expirationSeconds > MAX_EXPIRATION) {
    throw invalid('authentication.k8s.io', 'TokenRequest', name, [
      { field: 'spec.expirationSeconds', reason: 'FieldValueInvalid', message: `Invalid value: ${expirationSeconds}: may not specify a duration ${expirationSeconds < MIN_EXPIRATION ? 'less than 10 minutes' : 'longer than 4294967296 seconds'}` },
    ]);
  }
  const sa = await registry.get(info, namespace, name);
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : ['https://kubernetes.default.svc.cluster.local', 'k3s'];
  let boundObject: { kind: string; name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref?.name) {
    const kind = ref.kind ?? '';
    const boundInfo = kind === 'Pod' || kind === 'Secret' ? catalogue.byKind({ group: '', version: 'v1', kind }) : undefined;
    if (!boundInfo) throw badRequest(`spec.boundObjectRef.kind: Unsupported value: "${kind}": supported values: "Pod", "Secret"`);
    const bound = await registry.get(boundInfo, namespace, ref.name);
    if (ref.uid && ref.uid !== bound.metadata?.uid) {
      throw new StatusError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    boundObject = { kind, name: ref.name, uid: bound.metadata?.uid ?? '' };
  }
  const issued = dryRun
    ? { token: '', expirationTimestamp: new Date(Date.now() + expirationSeconds * 1000).toISOString().slice(0, 19) + 'Z' }
    : await ext.issueServiceAccountToken({
        namespace,
        serviceAccount: { name, uid: sa.metadata?.uid ?? '' },
        audiences,
        expirationSeconds,
        ...(boundObject ? { boundObject } : {}),
      });
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null } as never,
    spec: { audiences, expirationSeconds, boundObjectRef: ref ?? null },
    status: issued,
  };
}
