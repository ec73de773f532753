/**
 * auth/: the server's PKI, the admin kubeconfig, the join token, service-account tokens,
 * request authentication and (RBAC) authorization.
 *
 * Start-up, in this order:
 *
 *   const pki = await ensurePki(config);                  // <data-dir>/server/tls, reused on restart
 *   const tokens = await ensureTokens(config, pki.serverCaPem); // server/token, server/node-token
 *   await writeKubeconfig(config, pki);                   // config.kubeconfig.path, its mode
 *   https/http2.createSecureServer({ ...pki.tlsServerOptions(), allowHTTP1: true }, handler)
 *
 * Per request (the apiserver):
 *
 *   const authn = createAuthenticator(pki, { lookup, clusterDomain: config.cluster.clusterDomain });
 *   const result = await authn.authenticate({
 *     clientCertificate: (req.socket as TLSSocket).getPeerCertificate(),  // {} when none sent
 *     authorization: req.headers.authorization,
 *     headers: req.headers,   // optional: front-proxy X-Remote-User/Group/Extra-* (request-header CA)
 *   });
 *   // result.kind: 'authenticated' (result.user) | 'anonymous' (401 unless a public path) | 'error' (401)
 *
 *   `lookup(ref)` returns the ServiceAccount / Pod / Secret / Node object from the watch cache (or
 *   undefined), so tokens die with their service account. TokenRequest (`kubectl create token`):
 *   authn.serviceAccountTokens.issue({ namespace, serviceAccountName, serviceAccountUid,
 *   audiences, expirationSeconds, boundObject }) -> { token, expirationTimestamp }.
 *
 *   const authz = createAuthorizer(rbacLookup);           // RbacLookup over the watch cache
 *   const decision = await authz.authorize({ user, verb, isResourceRequest: true, apiGroup,
 *     resource, subresource, namespace, name });          // or { isResourceRequest: false, path }
 *   if (!decision.allowed) respond(403, forbiddenStatus(attributes, decision.reason));
 *   SelfSubjectAccessReview: authorize(...).allowed; SelfSubjectRulesReview: authz.rulesFor(user, ns).
 *   As k3s (--authorization-mode=Node,RBAC):
 *     unionAuthorizers(createNodeAuthorizer({ podsOnNode }), createAuthorizer(rbacCache)).
 *   The node authorizer needs `name` on list/watch of secrets/configmaps (from the
 *   metadata.name field selector), as upstream.
 *   RbacCache implements RbacLookup from watch events: cache.apply('RoleBinding', 'ADDED', obj).
 *   kubectl --as: after authentication, `await impersonate(user, req.headers, authz)` ->
 *   none | impersonated (use .user) | forbidden (403 .status) | bad-request (400).
 *   On create/update of Role/ClusterRole: checkRoleEscalation(authz, user, {kind, namespace, name,
 *   rules}); of RoleBinding/ClusterRoleBinding: checkBindingEscalation(authz, lookup, user,
 *   {namespace, roleRef}) -> undefined (allowed) or the reason for a 403 Forbidden.
 *   At first start the apiserver creates bootstrapPolicy().clusterRoles / .clusterRoleBindings
 *   that do not exist yet (upstream's default roles: cluster-admin, system:discovery, admin/edit/view...).
 */
export { ensurePki, firstAddress, servingSubjectAltNames, type CertKeyPem, type Pki, type PkiConfig, type PkiOptions } from './pki.js';
export { checkCertificates, rotateLeafCertificates, type CertificateStatus } from './certificate-check.js';
export { inspectCertificate, issuedBy, type CertificateInfo, type SubjectAltNames } from './certs.js';
export { apiServerUrl, renderKubeconfig, writeKubeconfig, type KubeconfigInput } from './kubeconfig.js';
export {
  checkTokenCa,
  ensureTokens,
  formatToken,
  hashCa,
  joinCredentials,
  parseToken,
  TokenFormatError,
  verifyServerTokenBasicAuth,
  type JoinCredentials,
  type ParsedToken,
  type ServerTokens,
} from './tokens.js';
export {
  DEFAULT_EXPIRATION_SECONDS,
  LEGACY_ISSUER,
  MIN_EXPIRATION_SECONDS,
  ServiceAccountTokens,
  type BoundObjectRef,
  type IssuedToken,
  type ObjectLookup,
  type TokenRequestSpec,
  type TokenVerification,
} from './service-account-tokens.js';
export { bearerToken, createAuthenticator, type AuthRequest, type AuthResult, type Authenticator, type AuthenticatorOptions, type TokenAuthenticator } from './authenticator.js';
export {
  appliesTo,
  createAuthorizer,
  forbiddenMessage,
  forbiddenStatus,
  ruleAllows,
  type Authorizer,
  type Decision,
  type NonResourceRule,
  type RequestAttributes,
  type ResourceRule,
  type SubjectRulesReviewStatus,
} from './rbac.js';
export { breakdownRule, checkBindingEscalation, checkRoleEscalation, uncoveredRules } from './escalation.js';
export { createNodeAuthorizer, nodeIdentity, nodeRules, unionAuthorizers, NODES_GROUP, type NodeGraph } from './node-authorizer.js';
export { createEncryptionTransformer, encryptionConfigPath, ensureEncryptionConfig, type EncryptionTransformer } from './secrets-encryption.js';
export { checkNodePassword, hashNodePassword, nodePasswordSecret, nodePasswordSecretName, verifyNodePassword } from './node-password.js';
export { jwks, openIdConfiguration } from './oidc.js';
export {
  BOOTSTRAP_SECRET_TYPE,
  bootstrapTokenAuthenticator,
  bootstrapTokenSecret,
  DEFAULT_NODE_TOKEN_GROUP,
  generateBootstrapToken,
  type BootstrapTokenSpec,
} from './bootstrap-tokens.js';
export { hasImpersonationHeaders, impersonate, type ImpersonationResult } from './impersonation.js';
export { RbacCache, type RbacKind } from './rbac-cache.js';
export { aggregateClusterRoles, bootstrapPolicy, selectorMatches, type BootstrapPolicy } from './bootstrap-policy.js';
export type { ClusterRole, ClusterRoleBinding, PolicyRule, RbacLookup, Role, RoleBinding, RoleRef, Subject } from './rbac-types.js';
export * from './user.js';
