/** io.k8s.api.discovery.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const DISCOVERY_V1 = defs('io.k8s.api.discovery.v1', `
Endpoint
  addresses                            1 []string                                 ! list=set
  conditions                           2 EndpointConditions
  hostname                             3 string                                   *
  targetRef                            4 core.v1.ObjectReference
  deprecatedTopology                   5 {}string
  nodeName                             6 string                                   *
  zone                                 7 string                                   *
  hints                                8 EndpointHints
EndpointConditions
  ready                                1 bool                                     *
  serving                              2 bool                                     *
  terminating                          3 bool                                     *
EndpointHints
  forZones                             1 []ForZone                                list=atomic
EndpointPort
  name                                 1 string                                   *
  protocol                             2 string                                   *
  port                                 3 int32                                    *
  appProtocol                          4 string                                   *
EndpointSlice
  metadata                             1 meta.ObjectMeta
  addressType                          4 string                                   !
  endpoints                            2 []Endpoint                               ! list=atomic
  ports                                3 []EndpointPort                           list=atomic
EndpointSliceList
  metadata                             1 meta.ListMeta
  items                                2 []EndpointSlice                          !
ForZone
  name                                 1 string                                   !
`);
