/**
 * authentication.k8s.io/v1, authorization.k8s.io/v1 (create-only reviews, never stored) and
 * certificates.k8s.io/v1.
 */
import type { ResourceInfo } from '../types.js';
import { CREATE_ONLY, groupVersion, status } from './define.js';
import { certificateSigningRequestTable } from '../tables/index.js';

export function authenticationResources(): ResourceInfo[] {
  return groupVersion('authentication.k8s.io', 'v1', [
    { kind: 'SelfSubjectReview', resource: 'selfsubjectreviews', namespaced: false, verbs: CREATE_ONLY },
    { kind: 'TokenReview', resource: 'tokenreviews', namespaced: false, verbs: CREATE_ONLY },
  ]);
}

export function authorizationResources(): ResourceInfo[] {
  return groupVersion('authorization.k8s.io', 'v1', [
    { kind: 'LocalSubjectAccessReview', resource: 'localsubjectaccessreviews', namespaced: true, verbs: CREATE_ONLY },
    { kind: 'SelfSubjectAccessReview', resource: 'selfsubjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
    { kind: 'SelfSubjectRulesReview', resource: 'selfsubjectrulesreviews', namespaced: false, verbs: CREATE_ONLY },
    { kind: 'SubjectAccessReview', resource: 'subjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
  ]);
}

export function certificatesResources(): ResourceInfo[] {
  return groupVersion('certificates.k8s.io', 'v1', [
    {
      kind: 'CertificateSigningRequest',
      table: certificateSigningRequestTable,
      resource: 'certificatesigningrequests',
      namespaced: false,
      shortNames: ['csr'],
      subresources: [{ name: 'approval', verbs: ['get', 'patch', 'update'] }, status],
    },
  ]);
}
