/** io.k8s.api.admissionregistration.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const ADMISSIONREGISTRATION_V1 = defs('io.k8s.api.admissionregistration.v1', `
AuditAnnotation
  key                                  1 string
  valueExpression                      2 string                                   !
ExpressionWarning
  fieldRef                             2 string
  warning                              3 string                                   !
MatchCondition
  name                                 1 string
  expression                           2 string                                   !
MatchResources
  namespaceSelector                    1 meta.LabelSelector
  objectSelector                       2 meta.LabelSelector
  resourceRules                        3 []NamedRuleWithOperations
  excludeResourceRules                 4 []NamedRuleWithOperations
  matchPolicy                          7 string
MutatingWebhook
  name                                 1 string                                   !
  clientConfig                         2 WebhookClientConfig                      !
  rules                                3 []RuleWithOperations
  failurePolicy                        4 string
  matchPolicy                          9 string
  namespaceSelector                    5 meta.LabelSelector
  objectSelector                      11 meta.LabelSelector
  sideEffects                          6 string                                   !
  timeoutSeconds                       7 int32
  admissionReviewVersions              8 []string                                 !
  reinvocationPolicy                  10 string
  matchConditions                     12 []MatchCondition                         patch=merge:name
MutatingWebhookConfiguration
  metadata                             1 meta.ObjectMeta
  webhooks                             2 []MutatingWebhook                        patch=merge:name
MutatingWebhookConfigurationList
  metadata                             1 meta.ListMeta
  items                                2 []MutatingWebhookConfiguration           !
NamedRuleWithOperations
  resourceNames                        1 []string
  ...                                  2 RuleWithOperations
ParamKind
  apiVersion                           1 string
  kind                                 2 string
ParamRef
  name                                 1 string
  namespace                            2 string
  selector                             3 meta.LabelSelector
  parameterNotFoundAction              4 string
Rule
  apiGroups                            1 []string
  apiVersions                          2 []string
  resources                            3 []string
  scope                                4 string
RuleWithOperations
  operations                           1 []string
  ...                                  2 Rule
ServiceReference
  namespace                            1 string                                   !
  name                                 2 string                                   !
  path                                 3 string
  port                                 4 int32
TypeChecking
  expressionWarnings                   1 []ExpressionWarning
ValidatingAdmissionPolicy
  metadata                             1 meta.ObjectMeta
  spec                                 2 ValidatingAdmissionPolicySpec
  status                               3 ValidatingAdmissionPolicyStatus
ValidatingAdmissionPolicyBinding
  metadata                             1 meta.ObjectMeta
  spec                                 2 ValidatingAdmissionPolicyBindingSpec
ValidatingAdmissionPolicyBindingList
  metadata                             1 meta.ListMeta
  items                                2 []ValidatingAdmissionPolicyBinding
ValidatingAdmissionPolicyBindingSpec
  policyName                           1 string
  paramRef                             2 ParamRef
  matchResources                       3 MatchResources
  validationActions                    4 []string
ValidatingAdmissionPolicyList
  metadata                             1 meta.ListMeta
  items                                2 []ValidatingAdmissionPolicy
ValidatingAdmissionPolicySpec
  paramKind                            1 ParamKind
  matchConstraints                     2 MatchResources
  validations                          3 []Validation
  failurePolicy                        4 string
  auditAnnotations                     5 []AuditAnnotation
  matchConditions                      6 []MatchCondition                         patch=merge:name
  variables                            7 []Variable                               patch=merge:name
ValidatingAdmissionPolicyStatus
  observedGeneration                   1 int64
  typeChecking                         2 TypeChecking
  conditions                           3 []meta.Condition
ValidatingWebhook
  name                                 1 string                                   !
  clientConfig                         2 WebhookClientConfig                      !
  rules                                3 []RuleWithOperations
  failurePolicy                        4 string
  matchPolicy                          9 string
  namespaceSelector                    5 meta.LabelSelector
  objectSelector                      10 meta.LabelSelector
  sideEffects                          6 string                                   !
  timeoutSeconds                       7 int32
  admissionReviewVersions              8 []string                                 !
  matchConditions                     11 []MatchCondition                         patch=merge:name
ValidatingWebhookConfiguration
  metadata                             1 meta.ObjectMeta
  webhooks                             2 []ValidatingWebhook                      patch=merge:name
ValidatingWebhookConfigurationList
  metadata                             1 meta.ListMeta
  items                                2 []ValidatingWebhookConfiguration         !
Validation
  expression                           1 string                                   !
  message                              2 string
  reason                               3 string
  messageExpression                    4 string
Variable
  name                                 1 string                                   !
  expression                           2 string                                   !
WebhookClientConfig
  url                                  3 string
  service                              1 ServiceReference
  caBundle                             2 bytes
`);
