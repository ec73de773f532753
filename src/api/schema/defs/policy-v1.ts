/** io.k8s.api.policy.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const POLICY_V1 = defs('io.k8s.api.policy.v1', `
Eviction
  metadata                             1 meta.ObjectMeta
  deleteOptions                        2 meta.DeleteOptions
PodDisruptionBudget
  metadata                             1 meta.ObjectMeta
  spec                                 2 PodDisruptionBudgetSpec
  status                               3 PodDisruptionBudgetStatus
PodDisruptionBudgetList
  metadata                             1 meta.ListMeta
  items                                2 []PodDisruptionBudget                    !
PodDisruptionBudgetSpec
  minAvailable                         1 intstr
  selector                             2 meta.LabelSelector                       patch=replace
  maxUnavailable                       3 intstr
  unhealthyPodEvictionPolicy           4 string                                   * enum=AlwaysAllow|IfHealthyBudget
PodDisruptionBudgetStatus
  observedGeneration                   1 int64
  disruptedPods                        2 {}time
  disruptionsAllowed                   3 int32                                    !
  currentHealthy                       4 int32                                    !
  desiredHealthy                       5 int32                                    !
  expectedPods                         6 int32                                    !
  conditions                           7 []meta.Condition                         patch=merge:type list=map:type
`);
