/** io.k8s.kube-aggregator.pkg.apis.apiregistration.v1: APIService, written by hand (JSON only). */
import { defs } from '../dsl.js';

export const APIREGISTRATION_V1 = defs('io.k8s.kube-aggregator.pkg.apis.apiregistration.v1', `
APIService
  metadata                 - meta.ObjectMeta
  spec                     - APIServiceSpec
  status                   - APIServiceStatus
APIServiceList
  metadata                 - meta.ListMeta
  items                    - []APIService                  !
APIServiceSpec
  service                  - ServiceReference
  group                    - string
  version                  - string
  insecureSkipTLSVerify    - bool
  caBundle                 - bytes                         list=atomic
  groupPriorityMinimum     - int32                         !
  versionPriority          - int32                         !
ServiceReference
  namespace                - string
  name                     - string
  port                     - int32                         *
APIServiceStatus
  conditions               - []APIServiceCondition         patch=merge:type list=map:type
APIServiceCondition
  type                     - string                        !
  status                   - string                        !
  lastTransitionTime       - time
  reason                   - string
  message                  - string
`);
