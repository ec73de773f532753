/**
 * Defaulting per kind, in place, as upstream's SetDefaults_* functions (and the few strategy
 * and admission fills a user sees on a freshly created object) leave it. The catalogue attaches
 * these as ResourceInfo.defaults; the API server runs them on every decoded create and update
 * body, before validation.
 */
import type { KubeObject } from '../types.js';
import * as cluster from './cluster.js';
import * as network from './network.js';
import { pod as podDefaults } from './pod.js';
import * as workloads from './workloads.js';

export { defaultPullPolicy, qosClass, podSpec as defaultPodSpec } from './pod.js';

type Defaulter = (object: KubeObject) => void;

export const defaults = {
  pod: podDefaults,
  podTemplate: workloads.podTemplate,
  replicationController: workloads.replicationController,
  deployment: workloads.deployment,
  replicaSet: workloads.replicaSet,
  statefulSet: workloads.statefulSet,
  daemonSet: workloads.daemonSet,
  job: workloads.job,
  cronJob: workloads.cronJob,
  service: network.service,
  endpoints: network.endpoints,
  endpointSlice: network.endpointSlice,
  networkPolicy: network.networkPolicy,
  ingressClass: network.ingressClass,
  namespace: cluster.namespace,
  secret: cluster.secret,
  persistentVolume: cluster.persistentVolume,
  persistentVolumeClaim: cluster.persistentVolumeClaim,
  node: cluster.node,
  limitRange: cluster.limitRange,
  storageClass: cluster.storageClass,
  csiDriver: cluster.csiDriver,
  binding: cluster.binding,
  priorityClass: cluster.priorityClass,
  horizontalPodAutoscaler: cluster.horizontalPodAutoscaler,
  validatingWebhookConfiguration: cluster.validatingWebhookConfiguration,
  mutatingWebhookConfiguration: cluster.mutatingWebhookConfiguration,
  customResourceDefinition: cluster.customResourceDefinition,
} satisfies Record<string, Defaulter>;
