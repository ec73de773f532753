/** apps/v1 and batch/v1: the workload controllers' resources. */
import type { ResourceInfo } from '../types.js';
import { groupVersion, scale, status } from './define.js';
import { selectors } from './field-selectors.js';
import { controllerRevisionTable, cronJobTable, daemonSetTable, deploymentTable, jobTable, replicaSetTable, statefulSetTable } from '../tables/index.js';

export function appsResources(): ResourceInfo[] {
  return groupVersion('apps', 'v1', [
    { kind: 'ControllerRevision', resource: 'controllerrevisions', namespaced: true, table: controllerRevisionTable },
    {
      kind: 'DaemonSet',
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
