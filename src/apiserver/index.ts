/**
 * The Kubernetes API server: HTTPS (HTTP/2 + HTTP/1.1) over the datastore, with the watch cache,
 * registry, REST verbs and discovery. `ApiServer` is the Runnable the supervisor starts;
 * `loopback()` gives in-process components an ApiClient on the same pipeline.
 */
export { ApiServer, type ApiServerOptions } from './server.js';
export { LOOPBACK_USER } from './types.js';
export type { Authenticate, Authorize, AuthnRequest, AuthzAttributes, AuthzDecision, Extensions, Impersonate, OpenApiSource, SubjectRules, UserInfo } from './types.js';
export type { AdmissionAttributes, AdmissionPlugin } from './registry/admission.js';
export { StatusError } from './errors.js';
export { SYSTEM_NAMESPACES } from './bootstrap.js';
export { rbacLookup, type CacheRbacLookup } from './rbac-lookup.js';
export { standardExtensions } from './extensions.js';
