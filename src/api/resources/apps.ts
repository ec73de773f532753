/** apps/v1 and batch/v1: the workload controllers' resources. */
import type { ResourceInfo } from '../types.js';
import { groupVersion, scale, status } from './define.js';
import { selectors } from './field-selectors.js';
import { controllerRevisionTable, cronJobTable, daemonSetTable, deploymentTable, jobTable, replicaSetTable, statefulSetTable } from '../tables/index.js';
import { defaults } from '../defaults/index.js';
import { validators } from '../validation/index.js';

export function appsResources(): ResourceInfo[] {
  return groupVersion('apps', 'v1', [
    { kind: 'ControllerRevision', resource: 'controllerrevisions', namespaced: true, table: controllerRevisionTable },
    {
      kind: 'DaemonSet',
      validate: validators.daemonSet,
      defaults: defaults.daemonSet,
      table: daemonSetTable,
      resource: 'daemonsets',
      namespaced: true,
      shortNames: ['ds'],
      categories: ['all'],
      subresources: [status],
      bumpsGeneration: true,
    },
    {
      kind: 'Deployment',
      validate: validators.deployment,
      defaults: defaults.deployment,
      table: deploymentTable,
      resource: 'deployments',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: [scale, status],
      bumpsGeneration: true,
    },
    {
      kind: 'ReplicaSet',
      validate: validators.replicaSet,
      defaults: defaults.replicaSet,
      table: replicaSetTable,
      resource: 'replicasets',
      namespaced: true,
      shortNames: ['rs'],
      categories: ['all'],
      subresources: [scale, status],
      bumpsGeneration: true,
      fieldSelectors: selectors('status.replicas'),
    },
    {
      kind: 'StatefulSet',
      validate: validators.statefulSet,
      defaults: defaults.statefulSet,
      table: statefulSetTable,
      resource: 'statefulsets',
      namespaced: true,
      shortNames: ['sts'],
      categories: ['all'],
      subresources: [scale, status],
      bumpsGeneration: true,
    },
  ]);
}

export function batchResources(): ResourceInfo[] {
  return groupVersion('batch', 'v1', [
    {
      kind: 'CronJob',
      validate: validators.cronJob,
      defaults: defaults.cronJob,
      table: cronJobTable,
      resource: 'cronjobs',
      namespaced: true,
      shortNames: ['cj'],
      categories: ['all'],
      subresources: [status],
      bumpsGeneration: true,
    },
    {
      kind: 'Job',
      validate: validators.job,
      defaults: defaults.job,
      table: jobTable,
      resource: 'jobs',
      namespaced: true,
      categories: ['all'],
      subresources: [status],
      bumpsGeneration: true,
      fieldSelectors: selectors('status.successful'),
    },
  ]);
}
