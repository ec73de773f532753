/**
 * The smaller groups a single-node cluster uses: events, autoscaling, policy, coordination,
 * scheduling, node and flowcontrol.
 */
import type { ResourceInfo } from '../types.js';
import { EVENT_FIELD_SELECTORS } from './core.js';
import { groupVersion, status } from './define.js';
import { eventsV1Table, flowSchemaTable, horizontalPodAutoscalerTable, leaseTable, podDisruptionBudgetTable, priorityClassTable, priorityLevelConfigurationTable, runtimeClassTable } from '../tables/index.js';
import { defaults } from '../defaults/index.js';
import { validators } from '../validation/index.js';

export function eventsResources(): ResourceInfo[] {
  // Same storage as core v1 events: one object, two API shapes.
  return groupVersion('events.k8s.io', 'v1', [
    { kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'], fieldSelectors: EVENT_FIELD_SELECTORS, table: eventsV1Table },
  ]);
}

export function autoscalingResources(): ResourceInfo[] {
  return groupVersion('autoscaling', 'v2', [
    {
      kind: 'HorizontalPodAutoscaler',
      validate: validators.horizontalPodAutoscaler,
      defaults: defaults.horizontalPodAutoscaler,
      table: horizontalPodAutoscalerTable,
      resource: 'horizontalpodautoscalers',
      namespaced: true,
      shortNames: ['hpa'],
      categories: ['all'],
      subresources: [status],
      bumpsGeneration: true,
    },
  ]);
}

export function policyResources(): ResourceInfo[] {
  return groupVersion('policy', 'v1', [
    {
      kind: 'PodDisruptionBudget',
      validate: validators.podDisruptionBudget,
      table: podDisruptionBudgetTable,
      resource: 'poddisruptionbudgets',
      namespaced: true,
      shortNames: ['pdb'],
      subresources: [status],
      bumpsGeneration: true,
    },
  ]);
}

export function coordinationResources(): ResourceInfo[] {
  return groupVersion('coordination.k8s.io', 'v1', [{ kind: 'Lease', resource: 'leases', namespaced: true, table: leaseTable, validate: validators.lease }]);
}

export function schedulingResources(): ResourceInfo[] {
  return groupVersion('scheduling.k8s.io', 'v1', [
    { kind: 'PriorityClass', resource: 'priorityclasses', namespaced: false, shortNames: ['pc'], table: priorityClassTable, defaults: defaults.priorityClass, validate: validators.priorityClass },
  ]);
}

export function nodeResources(): ResourceInfo[] {
  return groupVersion('node.k8s.io', 'v1', [{ kind: 'RuntimeClass', resource: 'runtimeclasses', namespaced: false, table: runtimeClassTable }]);
}

export function flowcontrolResources(): ResourceInfo[] {
  return groupVersion('flowcontrol.apiserver.k8s.io', 'v1', [
    { kind: 'FlowSchema', resource: 'flowschemas', namespaced: false, subresources: [status], bumpsGeneration: true, table: flowSchemaTable },
    {
      kind: 'PriorityLevelConfiguration',
      table: priorityLevelConfigurationTable,
      resource: 'prioritylevelconfigurations',
      namespaced: false,
      subresources: [status],
      bumpsGeneration: true,
    },
  ]);
}
