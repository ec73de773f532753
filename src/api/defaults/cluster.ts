/**
 * Defaults of the remaining kinds: namespaces, secrets, volumes and claims, nodes, limit ranges,
 * storage, rbac, scheduling, autoscaling, admission webhooks and CRDs.
 */
import { child, isObject, items, optionalChild, setDefault, type Json } from './fields.js';

/**
 * The kubernetes.io/metadata.name label (SetDefaults_Namespace) and phase Active. The
 * "kubernetes" finalizer is a create-time fill of upstream's namespace strategy; it lives in
 * `addNamespaceFinalizer`, which the namespace validator calls on create only, so updates and
 * the finalize subresource never put it back once the namespace controller removed it.
 */
export function namespace(object: Json): void {
  const metadata = child(object, 'metadata');
  if (typeof metadata['name'] === 'string' && metadata['name'] !== '') {
    child(metadata, 'labels')['kubernetes.io/metadata.name'] = metadata['name'];
  }
  setDefault(child(object, 'status'), 'phase', 'Active');
}

/** Appends the "kubernetes" finalizer unless present (namespace strategy PrepareForCreate). */
export function addNamespaceFinalizer(object: Json): void {
  const spec = child(object, 'spec');
  const finalizers = Array.isArray(spec['finalizers']) ? spec['finalizers'] : [];
  if (!finalizers.includes('kubernetes')) spec['finalizers'] = [...finalizers, 'kubernetes'];
}

export function secret(object: Json): void {
  setDefault(object, 'type', 'Opaque');
}

export function persistentVolume(object: Json): void {
  setDefault(child(object, 'status'), 'phase', 'Pending');
  const spec = child(object, 'spec');
  setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefault(spec, 'volumeMode', 'Filesystem');
  const hostPath = optionalChild(spec, 'hostPath');
  if (hostPath && hostPath['type'] === undefined) hostPath['type'] = '';
}

export function persistentVolumeClaim(object: Json): void {
  setDefault(child(object, 'status'), 'phase', 'Pending');
  setDefault(child(object, 'spec'), 'volumeMode', 'Filesystem');
}

export function node(object: Json): void {
  const status = optionalChild(object, 'status');
  if (status && isObject(status['capacity']) && !isObject(status['allocatable'])) status['allocatable'] = { ...status['capacity'] };
}

/** Container limit items: default limit from max, default request from limit, then from min. */
export function limitRange(object: Json): void {
  for (const item of items(optionalChild(object, 'spec'), 'limits')) {
    if (item['type'] !== 'Container') continue;
    const limit = child(item, 'default');
    const request = child(item, 'defaultRequest');
    for (const [key, value] of Object.entries(optionalChild(item, 'max') ?? {})) if (limit[key] === undefined) limit[key] = value;
    for (const [key, value] of Object.entries(limit)) if (request[key] === undefined) request[key] = value;
    for (const [key, value] of Object.entries(optionalChild(item, 'min') ?? {})) if (request[key] === undefined) request[key] = value;
    // Empty maps do not print in Go.
    if (Object.keys(limit).length === 0) delete item['default'];
    if (Object.keys(request).length === 0) delete item['defaultRequest'];
  }
}

export function storageClass(object: Json): void {
  setDefault(object, 'reclaimPolicy', 'Delete');
  setDefault(object, 'volumeBindingMode', 'Immediate');
}

export function csiDriver(object: Json): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'attachRequired', true);
  setDefault(spec, 'podInfoOnMount', false);
  setDefault(spec, 'storageCapacity', false);
  setDefault(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
  setDefault(spec, 'requiresRepublish', false);
  if (!Array.isArray(spec['volumeLifecycleModes']) || spec['volumeLifecycleModes'].length === 0) spec['volumeLifecycleModes'] = ['Persistent'];
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** roleRef.apiGroup and subjects' apiGroup (empty for service accounts). */
export function binding(object: Json): void {
  setDefault(child(object, 'roleRef'), 'apiGroup', RBAC_GROUP);
  for (const subject of items(object, 'subjects')) {
    if (subject['apiGroup'] !== undefined && subject['apiGroup'] !== '') continue;
    if (subject['kind'] === 'ServiceAccount') subject['apiGroup'] = '';
    else if (subject['kind'] === 'User' || subject['kind'] === 'Group') subject['apiGroup'] = RBAC_GROUP;
  }
}

export function priorityClass(object: Json): void {
  setDefault(object, 'preemptionPolicy', 'PreemptLowerPriority');
}

/** autoscaling/v2: minReplicas 1 and, without metrics, 80% average CPU utilisation. */
export function horizontalPodAutoscaler(object: Json): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (!Array.isArray(spec['metrics']) || spec['metrics'].length === 0) {
    spec['metrics'] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
}

function webhookCommon(hook: Json): void {
  setDefault(hook, 'failurePolicy', 'Fail');
  setDefault(hook, 'matchPolicy', 'Equivalent');
  if (!isObject(hook['namespaceSelector'])) hook['namespaceSelector'] = {};
  if (!isObject(hook['objectSelector'])) hook['objectSelector'] = {};
  setDefault(hook, 'timeoutSeconds', 10);
  for (const rule of items(hook, 'rules')) setDefault(rule, 'scope', '*');
  const service = optionalChild(optionalChild(hook, 'clientConfig') ?? {}, 'service');
  if (service) setDefault(service, 'port', 443);
}

export function validatingWebhookConfiguration(object: Json): void {
  for (const hook of items(object, 'webhooks')) webhookCommon(hook);
}

export function mutatingWebhookConfiguration(object: Json): void {
  for (const hook of items(object, 'webhooks')) {
    webhookCommon(hook);
    setDefault(hook, 'reinvocationPolicy', 'Never');
  }
}

/** Singular and list kind from the kind, conversion strategy None. */
export function customResourceDefinition(object: Json): void {
  const spec = child(object, 'spec');
  const names = child(spec, 'names');
  const kind = typeof names['kind'] === 'string' ? names['kind'] : '';
  setDefault(names, 'singular', kind.toLowerCase());
  if (kind) setDefault(names, 'listKind', `${kind}List`);
  if (!isObject(spec['conversion'])) spec['conversion'] = { strategy: 'None' };
  const service = optionalChild(optionalChild(optionalChild(optionalChild(spec, 'conversion') ?? {}, 'webhook') ?? {}, 'clientConfig') ?? {}, 'service');
  if (service) setDefault(service, 'port', 443);
}
