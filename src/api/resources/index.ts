/**
 * Every built-in resource, grouped in the order upstream's discovery lists the groups: core
 * first, then by the aggregator's group priority (apiregistration 18000, apps 17800, ...).
 */
import type { ResourceInfo } from '../types.js';
import { appsResources, batchResources } from './apps.js';
import { authenticationResources, authorizationResources, certificatesResources } from './auth.js';
import { coreResources } from './core.js';
import { admissionregistrationResources, apiextensionsResources, apiregistrationResources } from './extensions.js';
import { discoveryResources, networkingResources } from './networking.js';
import {
  autoscalingResources,
  coordinationResources,
  eventsResources,
  flowcontrolResources,
  nodeResources,
  policyResources,
  schedulingResources,
} from './platform.js';
import { metricsResources } from './metrics.js';
import { rbacResources } from './rbac.js';
import { storageResources } from './storage.js';

export { definitionName, SCALE_KIND } from './define.js';

/** Built-in resources, group after group in upstream's discovery order. */
export function builtinResources(): ResourceInfo[] {
  return [
    ...coreResources(),
    ...apiregistrationResources(),
    ...appsResources(),
    ...eventsResources(),
    ...authenticationResources(),
    ...authorizationResources(),
    ...autoscalingResources(),
    ...batchResources(),
    ...certificatesResources(),
    ...networkingResources(),
    ...policyResources(),
    ...rbacResources(),
    ...storageResources(),
    ...admissionregistrationResources(),
    ...apiextensionsResources(),
    ...schedulingResources(),
    ...coordinationResources(),
    ...nodeResources(),
    ...discoveryResources(),
    ...flowcontrolResources(),
    ...metricsResources(),
  ];
}
