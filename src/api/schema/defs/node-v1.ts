/** io.k8s.api.node.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const NODE_V1 = defs('io.k8s.api.node.v1', `
Overhead
  podFixed                             1 {}quantity
RuntimeClass
  metadata                             1 meta.ObjectMeta
  handler                              2 string                                   !
  overhead                             3 Overhead
  scheduling                           4 Scheduling
RuntimeClassList
  metadata                             1 meta.ListMeta
  items                                2 []RuntimeClass                           !
Scheduling
  nodeSelector                         1 {}string
  tolerations                          2 []core.v1.Toleration                     list=atomic
`);
