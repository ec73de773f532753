/** io.k8s.metrics.pkg.apis.metrics.v1beta1 (metrics.k8s.io, kubectl top): field numbers and types are protobuf facts; see ../dsl.ts. */
import { defs } from '../dsl.js';

export const METRICS_V1BETA1 = defs('io.k8s.metrics.pkg.apis.metrics.v1beta1', `
NodeMetrics
  metadata                             1 meta.ObjectMeta
  timestamp                            2 time
  window                               3 duration
  usage                                4 {}quantity
NodeMetricsList
  metadata                             1 meta.ListMeta
  items                                2 []NodeMetrics                            !
PodMetrics
  metadata                             1 meta.ObjectMeta
  timestamp                            2 time
  window                               3 duration
  containers                           4 []ContainerMetrics                       !
PodMetricsList
  metadata                             1 meta.ListMeta
  items                                2 []PodMetrics                             !
ContainerMetrics
  name                                 1 string                                   !
  usage                                2 {}quantity
`);
