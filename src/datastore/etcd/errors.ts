/**
 * etcd answers with gRPC status codes and fixed "etcdserver: ..." messages (etcd's
 * api/v3rpc/rpctypes); the Backend speaks in typed errors. This file is the one place that
 * knows the mapping.
 */
import { status } from '@grpc/grpc-js';
import { isServiceError } from './connection.js';

export type EtcdErrorKind = 'compacted' | 'future-revision' | 'lease-not-found' | 'too-large' | 'unavailable' | 'other';

export function classify(err: unknown): EtcdErrorKind {
  if (!isServiceError(err)) return 'other';
  const text = err.details || err.message;
  if (text.includes('required revision has been compacted')) return 'compacted';
  if (text.includes('required revision is a future revision')) return 'future-revision';
  if (text.includes('requested lease not found')) return 'lease-not-found';
  if (text.includes('request is too large') || err.code === status.RESOURCE_EXHAUSTED) return 'too-large';
  if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED) return 'unavailable';
  return 'other';
}

/** The cluster could not be reached; `cause` holds the gRPC error. */
export class EtcdUnavailableError extends Error {
  override readonly name = 'EtcdUnavailableError';
}

/** Wraps a gRPC failure with the action and member, keeping the original as `cause`. */
export function unavailable(action: string, member: string, err: unknown): EtcdUnavailableError {
  return new EtcdUnavailableError(`etcd datastore: ${action} failed at ${member}: ${detailOf(err)}`, { cause: err });
}

/** grpc-js details on one line, without its timestamp and empty "Resolution note". */
function detailOf(err: unknown): string {
  const text = isServiceError(err) ? err.details || err.message : String(err);
  return text
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)\.?\s*Resolution note:\s*$/s, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A TLS handshake the server or we rejected (unknown CA, missing or bad client certificate):
 * waiting does not fix it, so start-up fails at once.
 */
export function isTlsRejection(err: unknown): boolean {
  return classify(err) === 'unavailable' && /SSL routines|certificate|self[- ]signed|handshake/i.test(detailOf(err));
}
