/**
 * The API's own extension points: CRDs, aggregated API services and admission configuration.
 * Stored and served; whether anything acts on them is the API server's business.
 */
import type { ResourceInfo } from '../types.js';
import { groupVersion, status } from './define.js';
import { apiServiceTable, mutatingWebhookTable, validatingAdmissionPolicyBindingTable, validatingAdmissionPolicyTable, validatingWebhookTable } from '../tables/index.js';
import { defaults } from '../defaults/index.js';
import { validators } from '../validation/index.js';

const EXT = ['api-extensions'];

export function admissionregistrationResources(): ResourceInfo[] {
  return groupVersion('admissionregistration.k8s.io', 'v1', [
    { kind: 'MutatingWebhookConfiguration', resource: 'mutatingwebhookconfigurations', namespaced: false, categories: EXT, bumpsGeneration: true, table: mutatingWebhookTable, defaults: defaults.mutatingWebhookConfiguration, validate: validators.webhookConfiguration },
    {
      kind: 'ValidatingAdmissionPolicy',
      table: validatingAdmissionPolicyTable,
      resource: 'validatingadmissionpolicies',
      namespaced: false,
      categories: EXT,
      subresources: [status],
      bumpsGeneration: true,
    },
    {
      kind: 'ValidatingAdmissionPolicyBinding',
      table: validatingAdmissionPolicyBindingTable,
      resource: 'validatingadmissionpolicybindings',
      namespaced: false,
      categories: EXT,
      bumpsGeneration: true,
    },
    { kind: 'ValidatingWebhookConfiguration', resource: 'validatingwebhookconfigurations', namespaced: false, categories: EXT, bumpsGeneration: true, table: validatingWebhookTable, defaults: defaults.validatingWebhookConfiguration, validate: validators.webhookConfiguration },
  ]);
}

export function apiextensionsResources(): ResourceInfo[] {
  return groupVersion('apiextensions.k8s.io', 'v1', [
    {
      kind: 'CustomResourceDefinition',
      validate: validators.customResourceDefinition,
      defaults: defaults.customResourceDefinition,
      resource: 'customresourcedefinitions',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: EXT,
      storage: 'apiextensions.k8s.io/customresourcedefinitions',
      subresources: [status],
      bumpsGeneration: true,
    },
  ]);
}

export function apiregistrationResources(): ResourceInfo[] {
  return groupVersion('apiregistration.k8s.io', 'v1', [
    {
      kind: 'APIService',
      table: apiServiceTable,
      resource: 'apiservices',
      namespaced: false,
      categories: EXT,
      storage: 'apiregistration.k8s.io/apiservices',
      subresources: [status],
    },
  ]);
}
