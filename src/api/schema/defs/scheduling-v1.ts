/** io.k8s.api.scheduling.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const SCHEDULING_V1 = defs('io.k8s.api.scheduling.v1', `
PriorityClass
  metadata                             1 meta.ObjectMeta
  value                                2 int32                                    !
  globalDefault                        3 bool
  description                          4 string
  preemptionPolicy                     5 string                                   * enum=Never|PreemptLowerPriority
PriorityClassList
  metadata                             1 meta.ListMeta
  items                                2 []PriorityClass                          !
`);
