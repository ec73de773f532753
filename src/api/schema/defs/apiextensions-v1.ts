/**
 * io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1: CustomResourceDefinition. Written by
 * hand from the API's documented fields (no protobuf numbers: kubectl never sends these as
 * protobuf). The JSON type and the *OrArray/*OrBool unions are free-form values, as upstream's
 * OpenAPI describes them.
 */
import { defs } from '../dsl.js';

export const APIEXTENSIONS_V1 = defs('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1', `
CustomResourceDefinition
  metadata                 - meta.ObjectMeta
  spec                     - CustomResourceDefinitionSpec              !
  status                   - CustomResourceDefinitionStatus
CustomResourceDefinitionList
  metadata                 - meta.ListMeta
  items                    - []CustomResourceDefinition                !
CustomResourceDefinitionSpec
  group                    - string                                    !
  names                    - CustomResourceDefinitionNames             !
  scope                    - string                                    !
  versions                 - []CustomResourceDefinitionVersion         ! list=atomic
  conversion               - CustomResourceConversion
  preserveUnknownFields    - bool
CustomResourceDefinitionNames
  plural                   - string                                    !
  singular                 - string
  shortNames               - []string                                  list=atomic
  kind                     - string                                    !
  listKind                 - string
  categories               - []string                                  list=atomic
CustomResourceDefinitionVersion
  name                     - string                                    !
  served                   - bool                                      !
  storage                  - bool                                      !
  deprecated               - bool
  deprecationWarning       - string
  schema                   - CustomResourceValidation
  subresources             - CustomResourceSubresources
  additionalPrinterColumns - []CustomResourceColumnDefinition          list=atomic
  selectableFields         - []SelectableField                         list=atomic
CustomResourceValidation
  openAPIV3Schema          - JSONSchemaProps
CustomResourceSubresources
  status                   - CustomResourceSubresourceStatus
  scale                    - CustomResourceSubresourceScale
CustomResourceSubresourceStatus
CustomResourceSubresourceScale
  specReplicasPath         - string                                    !
  statusReplicasPath       - string                                    !
  labelSelectorPath        - string
CustomResourceColumnDefinition
  name                     - string                                    !
  type                     - string                                    !
  format                   - string
  description              - string
  priority                 - int32
  jsonPath                 - string                                    !
SelectableField
  jsonPath                 - string                                    !
CustomResourceConversion
  strategy                 - string                                    ! enum=None|Webhook
  webhook                  - WebhookConversion
WebhookConversion
  clientConfig             - WebhookClientConfig
  conversionReviewVersions - []string                                  ! list=atomic
WebhookClientConfig
  url                      - string
  service                  - ServiceReference
  caBundle                 - bytes
ServiceReference
  namespace                - string                                    !
  name                     - string                                    !
  path                     - string
  port                     - int32                                     *
CustomResourceDefinitionStatus
  conditions               - []CustomResourceDefinitionCondition       list=map:type
  acceptedNames            - CustomResourceDefinitionNames
  storedVersions           - []string                                  list=atomic
CustomResourceDefinitionCondition
  type                     - string                                    !
  status                   - string                                    !
  lastTransitionTime       - time
  reason                   - string
  message                  - string
JSONSchemaProps
  id                       - string
  $schema                  - string
  $ref                     - string
  description              - string
  type                     - string
  format                   - string
  title                    - string
  default                  - json
  maximum                  - double
  exclusiveMaximum         - bool
  minimum                  - double
  exclusiveMinimum         - bool
  maxLength                - int64
  minLength                - int64
  pattern                  - string
  maxItems                 - int64
  minItems                 - int64
  uniqueItems              - bool
  multipleOf               - double
  enum                     - []json                                    list=atomic
  maxProperties            - int64
  minProperties            - int64
  required                 - []string                                  list=atomic
  items                    - json
  allOf                    - []JSONSchemaProps                         list=atomic
  oneOf                    - []JSONSchemaProps                         list=atomic
  anyOf                    - []JSONSchemaProps                         list=atomic
  not                      - JSONSchemaProps
  properties               - {}JSONSchemaProps
  additionalProperties     - json
  patternProperties        - {}JSONSchemaProps
  dependencies             - {}json
  additionalItems          - json
  definitions              - {}JSONSchemaProps
  externalDocs             - ExternalDocumentation
  example                  - json
  nullable                 - bool
  x-kubernetes-preserve-unknown-fields - bool                          *
  x-kubernetes-embedded-resource       - bool
  x-kubernetes-int-or-string           - bool
  x-kubernetes-list-map-keys           - []string                      list=atomic
  x-kubernetes-list-type               - string
  x-kubernetes-map-type                - string
  x-kubernetes-validations             - []ValidationRule              patch=merge:rule list=map:rule
ExternalDocumentation
  description              - string
  url                      - string
ValidationRule
  rule                     - string                                    !
  message                  - string
  messageExpression        - string
  reason                   - string
  fieldPath                - string
  optionalOldSelf          - bool                                      *
`);
