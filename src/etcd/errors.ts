/**
 * etcd's gRPC errors. Clients (etcdctl, clientv3, the Kubernetes API server) recognise them by
 * code AND exact message text (rpctypes.ErrorDesc), so these strings match etcd's verbatim.
 */
import { status as Status, type StatusObject } from '@grpc/grpc-js';
import { CompactedError, FutureRevisionError, TooLargeError } from '../datastore/types.js';
import type { Logger } from '../log/index.js';

export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    readonly code: Status,
    message: string,
  ) {
    super(message);
  }
}

export const errEmptyKey = (): EtcdError => new EtcdError(Status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
export const errKeyNotFound = (): EtcdError => new EtcdError(Status.INVALID_ARGUMENT, 'etcdserver: key not found');
export const errValueProvided = (): EtcdError => new EtcdError(Status.INVALID_ARGUMENT, 'etcdserver: value is provided');
export const errLeaseProvided = (): EtcdError => new EtcdError(Status.INVALID_ARGUMENT, 'etcdserver: lease is provided');
export const errTooManyOps = (): EtcdError => new EtcdError(Status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request');
export const errDuplicateKey = (): EtcdError => new EtcdError(Status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
export const errCompacted = (): EtcdError => new EtcdError(Status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted');
export const errFutureRev = (): EtcdError => new EtcdError(Status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
export const errLeaseNotFound = (): EtcdError => new EtcdError(Status.NOT_FOUND, 'etcdserver: requested lease not found');
export const errLeaseExist = (): EtcdError => new EtcdError(Status.FAILED_PRECONDITION, 'etcdserver: lease already exists');
export const errLeaseTTLTooLarge = (): EtcdError => new EtcdError(Status.OUT_OF_RANGE, 'etcdserver: too large lease TTL');
export const errRequestTooLarge = (): EtcdError => new EtcdError(Status.INVALID_ARGUMENT, 'etcdserver: request is too large');
export const errInvalidArgument = (message: string): EtcdError => new EtcdError(Status.INVALID_ARGUMENT, `etcdserver: ${message}`);

/** A method of etcd's API this server does not provide; says so instead of pretending. */
export function errUnimplemented(method: string, why = 'the k3s datastore does not implement it'): EtcdError {
  return new EtcdError(Status.UNIMPLEMENTED, `${method}: ${why}`);
}

/** True for the datastore's "no such lease" failures, whichever driver raised them. */
export function isLeaseNotFound(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'LeaseNotFoundError' || /lease\b.*\bnot found/i.test(err.message);
}

export function isLeaseExists(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'LeaseExistsError' || /lease\b.*\balready exists/i.test(err.message);
}

/**
 * The gRPC status for any failure: etcd's own for the datastore errors clients act on,
 * UNAVAILABLE (retryable, as etcd answers when it cannot serve) for the rest, logged here since
 * the client only sees the summary.
 */
export function toStatus(err: unknown, log: Logger, method: string): Partial<StatusObject> {
  const etcd = toEtcdError(err);
  if (etcd) return { code: etcd.code, details: etcd.message };
  log.error({ err, method }, 'etcd request failed in the datastore');
  const message = err instanceof Error ? err.message : String(err);
  return { code: Status.UNAVAILABLE, details: `etcdserver: datastore error: ${message}` };
}

export function toEtcdError(err: unknown): EtcdError | undefined {
  if (err instanceof EtcdError) return err;
  if (err instanceof CompactedError) return errCompacted();
  if (err instanceof FutureRevisionError) return errFutureRev();
  if (err instanceof TooLargeError) return errRequestTooLarge();
  if (isLeaseNotFound(err)) return errLeaseNotFound();
  if (isLeaseExists(err)) return errLeaseExist();
  return undefined;
}
