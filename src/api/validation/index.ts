/**
 * Validation worded as upstream's. `validateObjectMeta` is the common metadata check the API
 * server runs for every kind; `validators` are the per-kind checks the catalogue attaches as
 * ResourceInfo.validate (`old` set on update). Both return FieldErrors whose `message` is the
 * upstream error body; `invalidMessage` builds the 422 Status message from them.
 */
import * as cluster from './cluster.js';
import * as config from './config.js';
import { validatePod } from './pod.js';
import * as policy from './policy.js';
import * as rbac from './rbac.js';
import * as service from './service.js';
import * as workloads from './workloads.js';

export { validateObjectMeta, validateLabels, validateAnnotations, nameCheckFor } from './metadata.js';
export { errorText, invalidMessage, goValue } from './errors.js';
export { cronError } from './cron.js';
export { dns1123Label, dns1123Subdomain, dns1035Label, qualifiedName, labelValue, configMapKey } from './names.js';

export const validators = {
  pod: validatePod,
  podTemplate: workloads.validatePodTemplateObject,
  replicationController: workloads.validateReplicationController,
  deployment: workloads.validateDeployment,
  replicaSet: workloads.validateReplicaSet,
  statefulSet: workloads.validateStatefulSet,
  daemonSet: workloads.validateDaemonSet,
  job: workloads.validateJob,
  cronJob: workloads.validateCronJob,
  service: service.validateService,
  endpoints: service.validateEndpoints,
  endpointSlice: service.validateEndpointSlice,
  configMap: config.validateConfigMap,
  secret: config.validateSecret,
  role: rbac.validateRole,
  clusterRole: rbac.validateClusterRole,
  roleBinding: rbac.validateRoleBinding,
  clusterRoleBinding: rbac.validateClusterRoleBinding,
  namespace: cluster.validateNamespace,
  priorityClass: cluster.validatePriorityClass,
  storageClass: cluster.validateStorageClass,
  persistentVolume: cluster.validatePersistentVolume,
  persistentVolumeClaim: cluster.validatePersistentVolumeClaim,
  ingress: cluster.validateIngress,
  networkPolicy: cluster.validateNetworkPolicy,
  podDisruptionBudget: cluster.validatePodDisruptionBudget,
  horizontalPodAutoscaler: cluster.validateHorizontalPodAutoscaler,
  lease: cluster.validateLease,
  customResourceDefinition: cluster.validateCustomResourceDefinition,
  resourceQuota: policy.validateResourceQuota,
  limitRange: policy.validateLimitRange,
  webhookConfiguration: policy.validateWebhookConfiguration,
};
