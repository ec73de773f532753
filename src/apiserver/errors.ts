/**
 * API errors as metav1.Status: every failure the server answers is one of these, with the code,
 * reason, details and message text upstream's apiserver produces (kubectl prints the message and
 * decides some behaviour by reason, e.g. retrying apply on Conflict).
 */
import type { FieldError, ResourceInfo } from '../api/types.js';
import { ApiError, type Status } from '../client/types.js';

type Details = NonNullable<Status['details']>;

/** A Status carried as an exception through the pipeline; the HTTP layer writes it as is. */
export class StatusError extends ApiError {
  constructor(code: number, reason: string, message: string, details?: Details) {
    super({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    });
  }
}

/** Upstream's GroupResource: "configmaps", "deployments.apps". */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

export function groupResource(info: Pick<ResourceInfo, 'group' | 'resource'>): GroupResource {
  return { group: info.group, resource: info.resource };
}

export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function details(gr: GroupResource, name?: string): Details {
  return { ...(name !== undefined && name !== '' ? { name } : {}), ...(gr.group ? { group: gr.group } : {}), kind: gr.resource };
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name));
}

export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(gr: GroupResource, name: string, why: string = OBJECT_MODIFIED): StatusError {
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, details(gr, name));
}

/** 422 with causes; `kind` is the object's Kind ("ConfigMap"), as upstream's NewInvalid. */
export function invalid(group: string, kind: string, name: string, errors: readonly FieldError[]): StatusError {
  const texts = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  const joined = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, {
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function forbidden(gr: GroupResource, name: string | undefined, why: string): StatusError {
  const subject = name ? `${qualified(gr)} "${name}"` : qualified(gr);
  return new StatusError(403, 'Forbidden', `${subject} is forbidden: ${why}`, details(gr, name));
}

export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf${contentType ? ` (got ${contentType})` : ''}`,
  );
}

export function notAcceptable(): StatusError {
  return new StatusError(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
}

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function tooLarge(limit = MAX_BODY_BYTES): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** 410 for a watch or list from a resourceVersion the cache no longer holds. */
export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

export function tooManyRequests(retryAfterSeconds = 1): StatusError {
  return new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
}

export function timeout(message: string, retryAfterSeconds = 1): StatusError {
  return new StatusError(504, 'Timeout', message, { retryAfterSeconds });
}

export function internalError(err: unknown): StatusError {
  const text = err instanceof Error ? err.message : String(err);
  return new StatusError(500, 'InternalError', `Internal error occurred: ${text}`, { causes: [{ message: text }] });
}

/** A successful Status (delete of an object that is gone at once). */
export function success(gr: GroupResource, name: string, uid?: string): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...details(gr, name), ...(uid ? { uid } : {}) },
    code: 200,
  };
}

/** Any thrown value as a Status error (unknown failures become 500 InternalError). */
export function toStatusError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return internalError(err);
}
