/** io.k8s.api.certificates.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const CERTIFICATES_V1 = defs('io.k8s.api.certificates.v1', `
CertificateSigningRequest
  metadata                             1 meta.ObjectMeta
  spec                                 2 CertificateSigningRequestSpec            !
  status                               3 CertificateSigningRequestStatus
CertificateSigningRequestCondition
  type                                 1 string                                   !
  status                               6 string                                   !
  reason                               2 string
  message                              3 string
  lastUpdateTime                       4 time
  lastTransitionTime                   5 time
CertificateSigningRequestList
  metadata                             1 meta.ListMeta
  items                                2 []CertificateSigningRequest              !
CertificateSigningRequestSpec
  request                              1 bytes                                    ! list=atomic
  signerName                           7 string                                   !
  expirationSeconds                    8 int32
  usages                               5 []string                                 list=atomic
  username                             2 string
  uid                                  3 string
  groups                               4 []string                                 list=atomic
  extra                                6 {}ExtraValue
CertificateSigningRequestStatus
  conditions                           1 []CertificateSigningRequestCondition     list=map:type
  certificate                          2 bytes                                    list=atomic
ExtraValue
  items                                1 []string
`);
