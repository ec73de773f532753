/** io.k8s.api.events.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const EVENTS_V1 = defs('io.k8s.api.events.v1', `
Event
  metadata                             1 meta.ObjectMeta
  eventTime                            2 microtime                                !
  series                               3 EventSeries
  reportingController                  4 string
  reportingInstance                    5 string
  action                               6 string
  reason                               7 string
  regarding                            8 core.v1.ObjectReference
  related                              9 core.v1.ObjectReference
  note                                10 string
  type                                11 string
  deprecatedSource                    12 core.v1.EventSource
  deprecatedFirstTimestamp            13 time
  deprecatedLastTimestamp             14 time
  deprecatedCount                     15 int32                                    *
EventList
  metadata                             1 meta.ListMeta
  items                                2 []Event                                  !
EventSeries
  count                                1 int32                                    !
  lastObservedTime                     2 microtime                                !
`);
