/** networking.k8s.io/v1 and discovery.k8s.io/v1: how traffic reaches pods. */
import type { ResourceInfo } from '../types.js';
import { groupVersion, status } from './define.js';
import { endpointSliceTable, ingressClassTable, ingressTable, networkPolicyTable } from '../tables/index.js';
import { defaults } from '../defaults/index.js';
import { validators } from '../validation/index.js';

export function networkingResources(): ResourceInfo[] {
  return groupVersion('networking.k8s.io', 'v1', [
    { kind: 'IngressClass', resource: 'ingressclasses', namespaced: false, table: ingressClassTable, defaults: defaults.ingressClass },
    {
      kind: 'Ingress',
      validate: validators.ingress,
      table: ingressTable,
      resource: 'ingresses',
      namespaced: true,
      shortNames: ['ing'],
      storage: 'ingress',
      subresources: [status],
      bumpsGeneration: true,
    },
    { kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true, shortNames: ['netpol'], bumpsGeneration: true, table: networkPolicyTable, defaults: defaults.networkPolicy, validate: validators.networkPolicy },
  ]);
}

export function discoveryResources(): ResourceInfo[] {
  return groupVersion('discovery.k8s.io', 'v1', [
    { kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true, table: endpointSliceTable, defaults: defaults.endpointSlice, validate: validators.endpointSlice },
  ]);
}
