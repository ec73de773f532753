/** The core ("" group, v1) resources, as upstream's kube-apiserver 1.32 serves them. */
import type { GroupVersionKind, KubeObject, ResourceInfo } from '../types.js';
import { CREATE_ONLY, CRUD, PROXY_VERBS, READ_ONLY, groupVersion, scale, status } from './define.js';
import { fieldAt, selectors } from './field-selectors.js';
import { componentStatusTable, configMapTable, endpointsTable, eventTable, namespaceTable, nodeTable, persistentVolumeClaimTable, persistentVolumeTable, podTable, podTemplateTable, replicationControllerTable, resourceQuotaTable, secretTable, serviceAccountTable, serviceTable } from '../tables/index.js';
import { defaults } from '../defaults/index.js';
import { validators } from '../validation/index.js';

const v1 = (kind: string): GroupVersionKind => ({ group: '', version: 'v1', kind });

/** Core events' field selectors (also what events.k8s.io/v1 selects on, same storage). */
export const EVENT_FIELD_SELECTORS = {
  ...selectors(
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'type',
  ),
  source: (event: KubeObject): string => fieldAt('source.component')(event),
};

export function coreResources(): ResourceInfo[] {
  return groupVersion('', 'v1', [
    { kind: 'Binding', resource: 'bindings', namespaced: true, verbs: CREATE_ONLY },
    { kind: 'ComponentStatus', resource: 'componentstatuses', namespaced: false, shortNames: ['cs'], verbs: READ_ONLY, table: componentStatusTable },
    { kind: 'ConfigMap', resource: 'configmaps', namespaced: true, shortNames: ['cm'], table: configMapTable, validate: validators.configMap },
    { kind: 'Endpoints', resource: 'endpoints', namespaced: true, shortNames: ['ep'], storage: 'services/endpoints', table: endpointsTable, defaults: defaults.endpoints, validate: validators.endpoints },
    { kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'], fieldSelectors: EVENT_FIELD_SELECTORS, table: eventTable },
    { kind: 'LimitRange', resource: 'limitranges', namespaced: true, shortNames: ['limits'], defaults: defaults.limitRange, validate: validators.limitRange },
    {
      kind: 'Namespace',
      validate: validators.namespace,
      defaults: defaults.namespace,
      table: namespaceTable,
      resource: 'namespaces',
      namespaced: false,
      shortNames: ['ns'],
      verbs: CRUD.filter((v) => v !== 'deletecollection'),
      subresources: [{ name: 'finalize', verbs: ['update'] }, status],
      fieldSelectors: selectors('status.phase'),
    },
    {
      kind: 'Node',
      defaults: defaults.node,
      table: nodeTable,
      resource: 'nodes',
      namespaced: false,
      shortNames: ['no'],
      storage: 'minions',
      subresources: [{ name: 'proxy', kind: v1('NodeProxyOptions'), verbs: PROXY_VERBS }, status],
      fieldSelectors: selectors('spec.unschedulable'),
    },
    {
      kind: 'PersistentVolumeClaim',
      validate: validators.persistentVolumeClaim,
      defaults: defaults.persistentVolumeClaim,
      table: persistentVolumeClaimTable,
      resource: 'persistentvolumeclaims',
      namespaced: true,
      shortNames: ['pvc'],
      subresources: [status],
    },
    {
      kind: 'PersistentVolume',
      validate: validators.persistentVolume,
      defaults: defaults.persistentVolume,
      table: persistentVolumeTable,
      resource: 'persistentvolumes',
      namespaced: false,
      shortNames: ['pv'],
      subresources: [status],
    },
    {
      kind: 'Pod',
      validate: validators.pod,
      defaults: defaults.pod,
      table: podTable,
      resource: 'pods',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        { name: 'attach', kind: v1('PodAttachOptions'), verbs: ['create', 'get'] },
        { name: 'binding', kind: v1('Binding'), verbs: ['create'] },
        { name: 'ephemeralcontainers', verbs: ['get', 'patch', 'update'] },
        { name: 'eviction', kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] },
        { name: 'exec', kind: v1('PodExecOptions'), verbs: ['create', 'get'] },
        { name: 'log', verbs: ['get'] },
        { name: 'portforward', kind: v1('PodPortForwardOptions'), verbs: ['create', 'get'] },
        { name: 'proxy', kind: v1('PodProxyOptions'), verbs: PROXY_VERBS },
        status,
      ],
      fieldSelectors: selectors(
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
      ),
    },
    { kind: 'PodTemplate', resource: 'podtemplates', namespaced: true, table: podTemplateTable, defaults: defaults.podTemplate, validate: validators.podTemplate },
    {
      kind: 'ReplicationController',
      validate: validators.replicationController,
      defaults: defaults.replicationController,
      table: replicationControllerTable,
      resource: 'replicationcontrollers',
      namespaced: true,
      shortNames: ['rc'],
      categories: ['all'],
      storage: 'controllers',
      subresources: [scale, status],
      bumpsGeneration: true,
      fieldSelectors: selectors('status.replicas'),
    },
    {
      kind: 'ResourceQuota',
      validate: validators.resourceQuota,
      table: resourceQuotaTable,
      resource: 'resourcequotas',
      namespaced: true,
      shortNames: ['quota'],
      subresources: [status],
    },
    { kind: 'Secret', resource: 'secrets', namespaced: true, fieldSelectors: selectors('type'), table: secretTable, defaults: defaults.secret, validate: validators.secret },
    {
      kind: 'ServiceAccount',
      table: serviceAccountTable,
      resource: 'serviceaccounts',
      namespaced: true,
      shortNames: ['sa'],
      subresources: [
        { name: 'token', kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] },
      ],
    },
    {
      kind: 'Service',
      validate: validators.service,
      defaults: defaults.service,
      table: serviceTable,
      resource: 'services',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      storage: 'services/specs',
      subresources: [{ name: 'proxy', kind: v1('ServiceProxyOptions'), verbs: PROXY_VERBS }, status],
      fieldSelectors: selectors('spec.clusterIP', 'spec.type'),
    },
  ]);
}
