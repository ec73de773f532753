/**
 * Table convertors (kubectl get's columns) for every built-in kind, reproducing upstream's
 * printers column for column. The catalogue attaches them to its ResourceInfo entries; kinds
 * upstream has no printer for get `defaultTable` (NAME, CREATED AT).
 */
export { defaultTable, col, NAME_COLUMN, AGE_COLUMN } from './columns.js';
export { humanDuration, selectorString, formatSelector, formatLabels } from './format.js';
export { podTable, podSummary, type PodSummary } from './pods.js';
export { customResourceTable, printerColumnsOf, type PrinterColumn } from './custom-resources.js';
export { evaluateJsonPath, parseJsonPath, JsonPathError } from './jsonpath.js';
export {
  controllerRevisionTable,
  cronJobTable,
  daemonSetTable,
  deploymentTable,
  horizontalPodAutoscalerTable,
  jobStatus,
  jobTable,
  podDisruptionBudgetTable,
  podTemplateTable,
  replicaSetTable,
  replicationControllerTable,
  scaleTable,
  statefulSetTable,
} from './workloads.js';
export {
  endpointSliceTable,
  endpointsTable,
  ingressClassTable,
  ingressTable,
  networkPolicyTable,
  servicePorts,
  serviceTable,
} from './network.js';
export {
  componentStatusTable,
  configMapTable,
  eventTable,
  eventsV1Table,
  namespaceTable,
  nodeTable,
  persistentVolumeClaimTable,
  persistentVolumeTable,
  resourceQuotaTable,
  secretTable,
  serviceAccountTable,
} from './core.js';
export {
  apiServiceTable,
  certificateSigningRequestTable,
  clusterRoleBindingTable,
  csiDriverTable,
  csiNodeTable,
  csiStorageCapacityTable,
  flowSchemaTable,
  leaseTable,
  mutatingWebhookTable,
  priorityClassTable,
  priorityLevelConfigurationTable,
  roleBindingTable,
  runtimeClassTable,
  storageClassTable,
  validatingAdmissionPolicyBindingTable,
  validatingAdmissionPolicyTable,
  validatingWebhookTable,
  volumeAttachmentTable,
} from './cluster.js';
