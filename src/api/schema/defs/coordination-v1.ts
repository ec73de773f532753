/** io.k8s.api.coordination.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const COORDINATION_V1 = defs('io.k8s.api.coordination.v1', `
Lease
  metadata                             1 meta.ObjectMeta
  spec                                 2 LeaseSpec
LeaseList
  metadata                             1 meta.ListMeta
  items                                2 []Lease                                  !
LeaseSpec
  holderIdentity                       1 string                                   *
  leaseDurationSeconds                 2 int32                                    *
  acquireTime                          3 microtime
  renewTime                            4 microtime
  leaseTransitions                     5 int32                                    *
  strategy                             6 string                                   *
  preferredHolder                      7 string                                   *
`);
