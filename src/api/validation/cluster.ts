/**
 * Validation of the remaining kinds a user writes: namespaces, priority and storage classes,
 * volumes and claims, ingresses, network policies, disruption budgets, autoscalers, leases and
 * CRDs.
 */
import { addNamespaceFinalizer } from '../defaults/cluster.js';
import { parseJsonPath } from '../tables/jsonpath.js';
import type { FieldError, KubeObject } from '../types.js';
import { deepEqual, forbidden, immutable, invalid, notSupported, required } from './errors.js';
import { dns1123Subdomain, portName, portRange, qualifiedName } from './names.js';
import { validateLabelSelector } from './selectors.js';
import { isSet, list, rec, text, type Json } from './values.js';

export function validateNamespace(object: KubeObject, old?: KubeObject): FieldError[] {
  // Create-time fill, done here because validation is the first step that knows it is a create
  // (upstream does the same for jobs' generated selectors).
  if (!old) addNamespaceFinalizer(object);
  const errs: FieldError[] = [];
  const finalizers = rec(object['spec'])['finalizers'];
  for (const name of Array.isArray(finalizers) ? finalizers.map(text) : []) {
    for (const msg of qualifiedName(name)) errs.push(invalid('spec.finalizers', name, msg));
    if (!name.includes('/') && name !== 'kubernetes') {
      errs.push(invalid('spec.finalizers', name, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return errs;
}

const HIGHEST_USER_PRIORITY = 1_000_000_000;
const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = { 'system-node-critical': 2_000_001_000, 'system-cluster-critical': 2_000_000_000 };

export function validatePriorityClass(object: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = text(rec(object.metadata)['name']);
  const value = object['value'];
  const system = SYSTEM_PRIORITY_CLASSES[name];
  if (system !== undefined) {
    if (value !== system) errs.push(forbidden('value', `value of ${name} must be ${system}`));
  } else {
    if (name.startsWith('system-')) errs.push(forbidden('metadata.name', "priority class names with 'system-' prefix are reserved"));
    if (typeof value === 'number' && value > HIGHEST_USER_PRIORITY) {
      errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
    }
  }
  const policy = text(object['preemptionPolicy']);
  if (policy && policy !== 'PreemptLowerPriority' && policy !== 'Never') errs.push(notSupported('preemptionPolicy', policy, ['Never', 'PreemptLowerPriority']));
  if (old) {
    if (object['value'] !== old['value']) errs.push(forbidden('value', 'may not be changed in an update.'));
    errs.push(...immutable('preemptionPolicy', object['preemptionPolicy'], old['preemptionPolicy']));
  }
  return errs;
}

export function validateStorageClass(object: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = text(object['provisioner']);
  if (!provisioner) errs.push(required('provisioner'));
  else for (const msg of qualifiedName(provisioner.toLowerCase())) errs.push(invalid('provisioner', provisioner, msg));
  const reclaim = text(object['reclaimPolicy']);
  if (reclaim && reclaim !== 'Delete' && reclaim !== 'Retain') errs.push(notSupported('reclaimPolicy', reclaim, ['Delete', 'Retain']));
  const binding = text(object['volumeBindingMode']);
  if (binding && binding !== 'Immediate' && binding !== 'WaitForFirstConsumer') {
    errs.push(notSupported('volumeBindingMode', binding, ['Immediate', 'WaitForFirstConsumer']));
  }
  if (old) {
    if (!deepEqual(object['parameters'] ?? {}, old['parameters'] ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (provisioner !== text(old['provisioner'])) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (reclaim !== text(old['reclaimPolicy'])) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    errs.push(...immutable('volumeBindingMode', object['volumeBindingMode'], old['volumeBindingMode']));
  }
  return errs;
}

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

function accessModes(spec: Json, path: string): FieldError[] {
  const modes = Array.isArray(spec['accessModes']) ? spec['accessModes'].map(text) : [];
  if (modes.length === 0) return [required(`${path}.accessModes`, 'at least 1 access mode is required')];
  const errs = modes.filter((m) => !ACCESS_MODES.includes(m)).map((m) => notSupported(`${path}.accessModes`, m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    errs.push(forbidden(`${path}.accessModes`, 'may not use ReadWriteOncePod with other access modes'));
  }
  return errs;
}

export function validatePersistentVolumeClaim(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = accessModes(spec, 'spec');
  const storage = rec(rec(spec['resources'])['requests'])['storage'];
  if (!isSet(storage) && !isSet(spec['dataSourceRef'])) errs.push(required('spec.resources[storage]'));
  if (old) {
    const oldSpec = rec(old['spec']);
    // Bound claims may grow (resources.requests) and the binder fills volumeName once.
    const strip = (s: Json): Json => {
      const copy = structuredClone(s);
      delete copy['resources'];
      delete copy['volumeAttributesClassName'];
      if (!text(oldSpec['volumeName'])) delete copy['volumeName'];
      return copy;
    };
    if (!deepEqual(strip(spec), strip(oldSpec))) {
      errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
  }
  return errs;
}

const PV_SOURCES = ['hostPath', 'local', 'nfs', 'csi', 'iscsi', 'fc', 'rbd', 'cephfs', 'cinder', 'flexVolume', 'glusterfs', 'azureFile', 'azureDisk', 'gcePersistentDisk', 'awsElasticBlockStore', 'vsphereVolume', 'portworxVolume', 'scaleIO', 'storageos', 'quobyte', 'photonPersistentDisk', 'flocker'];

export function validatePersistentVolume(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = accessModes(spec, 'spec');
  if (!isSet(rec(spec['capacity'])['storage'])) errs.push(required('spec.capacity'));
  const sources = PV_SOURCES.filter((s) => isSet(spec[s]));
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  else if (sources.length > 1) errs.push(forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
  const reclaim = text(spec['persistentVolumeReclaimPolicy']);
  if (reclaim && !['Delete', 'Recycle', 'Retain'].includes(reclaim)) errs.push(notSupported('spec.persistentVolumeReclaimPolicy', reclaim, ['Delete', 'Recycle', 'Retain']));
  return errs;
}

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function ingressBackend(backend: Json, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const service = backend['service'];
  const resource = backend['resource'];
  if (isSet(service) && isSet(resource)) return [invalid(path, '', 'cannot set both service and resource backends')];
  if (isSet(service)) {
    const s = rec(service);
    const name = text(s['name']);
    if (!name) errs.push(required(`${path}.service.name`));
    else for (const msg of dns1123Subdomain(name)) errs.push(invalid(`${path}.service.name`, name, msg));
    const port = rec(s['port']);
    const hasNumber = isSet(port['number']) && port['number'] !== 0;
    const hasName = text(port['name']) !== '';
    const goPort = `networking.ServiceBackendPort{Name:${JSON.stringify(text(port['name']))}, Number:${Number(port['number'] ?? 0)}}`;
    const portError = (detail: string): FieldError => ({ ...invalid(`${path}.service.port`, null, detail), message: `Invalid value: ${goPort}: ${detail}` });
    if (hasNumber && hasName) errs.push(portError('cannot set both port name & port number'));
    else if (hasNumber) for (const msg of portRange(Number(port['number']))) errs.push(invalid(`${path}.service.port.number`, port['number'], msg));
    else if (hasName) for (const msg of portName(text(port['name']))) errs.push(invalid(`${path}.service.port.name`, port['name'], msg));
    else errs.push(portError('port name or number is required'));
  } else if (!isSet(resource)) {
    errs.push(invalid(path, '', 'resource or service backend is required'));
  }
  return errs;
}

export function validateIngress(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs: FieldError[] = [];
  const rules = list(spec['rules']);
  if (!isSet(spec['defaultBackend']) && rules.length === 0) errs.push(invalid('spec.rules', [], 'either `defaultBackend` or `rules` must be specified'));
  if (isSet(spec['defaultBackend'])) errs.push(...ingressBackend(rec(spec['defaultBackend']), 'spec.defaultBackend'));
  rules.forEach((rule, i) => {
    const host = text(rule['host']);
    if (host) {
      const check = host.startsWith('*.') ? host.slice(2) : host;
      for (const msg of dns1123Subdomain(check)) errs.push(invalid(`spec.rules[${i}].host`, host, msg));
    }
    const http = rule['http'];
    if (!isSet(http)) return;
    const paths = list(rec(http)['paths']);
    if (paths.length === 0) errs.push(required(`spec.rules[${i}].http.paths`));
    paths.forEach((p, j) => {
      const at = `spec.rules[${i}].http.paths[${j}]`;
      const pathType = text(p['pathType']);
      if (!pathType) errs.push(required(`${at}.pathType`, 'pathType must be specified'));
      else if (!PATH_TYPES.includes(pathType)) errs.push(notSupported(`${at}.pathType`, pathType, PATH_TYPES));
      const value = text(p['path']);
      if ((pathType === 'Exact' || pathType === 'Prefix') && !value.startsWith('/')) errs.push(invalid(`${at}.path`, value, 'must be an absolute path'));
      errs.push(...ingressBackend(rec(p['backend']), `${at}.backend`));
    });
  });
  return errs;
}

export function validateNetworkPolicy(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = validateLabelSelector(spec['podSelector'], 'spec.podSelector');
  for (const direction of ['ingress', 'egress']) {
    list(spec[direction]).forEach((rule, i) => {
      list(rule['ports']).forEach((port, j) => {
        const at = `spec.${direction}[${i}].ports[${j}]`;
        const protocol = text(port['protocol']);
        if (protocol && !['SCTP', 'TCP', 'UDP'].includes(protocol)) errs.push(notSupported(`${at}.protocol`, protocol, ['SCTP', 'TCP', 'UDP']));
        const p = port['port'];
        if (typeof p === 'number') for (const msg of portRange(p)) errs.push(invalid(`${at}.port`, p, msg));
        else if (typeof p === 'string') for (const msg of portName(p)) errs.push(invalid(`${at}.port`, p, msg));
      });
    });
  }
  const types = Array.isArray(spec['policyTypes']) ? spec['policyTypes'].map(text) : [];
  for (const t of types) if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported('spec.policyTypes', t, ['Ingress', 'Egress']));
  return errs;
}

export function validatePodDisruptionBudget(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs: FieldError[] = [];
  if (isSet(spec['minAvailable']) && isSet(spec['maxUnavailable'])) {
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const key of ['minAvailable', 'maxUnavailable']) {
    const v = spec[key];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`spec.${key}`, v, 'must be greater than or equal to 0'));
    if (typeof v === 'string' && !/^\d+%$/.test(v)) errs.push(invalid(`spec.${key}`, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
    if (typeof v === 'string' && parseInt(v, 10) > 100) errs.push(invalid(`spec.${key}`, v, 'must not be greater than 100%'));
  }
  if (isSet(spec['selector'])) errs.push(...validateLabelSelector(spec['selector'], 'spec.selector'));
  return errs;
}

export function validateHorizontalPodAutoscaler(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs: FieldError[] = [];
  const min = spec['minReplicas'];
  const max = spec['maxReplicas'];
  if (typeof min === 'number' && min < 1) errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (typeof max !== 'number' || max < 1) errs.push(invalid('spec.maxReplicas', max ?? 0, 'must be greater than 0'));
  else if (typeof min === 'number' && max < min) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  const ref = rec(spec['scaleTargetRef']);
  if (!text(ref['kind'])) errs.push(required('spec.scaleTargetRef.kind'));
  if (!text(ref['name'])) errs.push(required('spec.scaleTargetRef.name'));
  return errs;
}

export function validateLease(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs: FieldError[] = [];
  for (const key of ['leaseDurationSeconds', 'leaseTransitions']) {
    const v = spec[key];
    if (typeof v === 'number' && (key === 'leaseDurationSeconds' ? v <= 0 : v < 0)) {
      errs.push(invalid(`spec.${key}`, v, key === 'leaseDurationSeconds' ? 'must be greater than 0' : 'must be greater than or equal to 0'));
    }
  }
  return errs;
}

const PRINTER_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];
const PRINTER_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'password'];

export function validateCustomResourceDefinition(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const names = rec(spec['names']);
  const errs: FieldError[] = [];
  const group = text(spec['group']);
  const plural = text(names['plural']);
  const name = text(rec(object.metadata)['name']);
  if (name !== `${plural}.${group}`) errs.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (!group) errs.push(required('spec.group'));
  else if (group.split('.').length < 2) errs.push(invalid('spec.group', group, 'should be a domain with at least one dot'));
  if (!plural) errs.push(required('spec.names.plural'));
  if (!text(names['kind'])) errs.push(required('spec.names.kind'));
  const scope = text(spec['scope']);
  if (!scope) errs.push(required('spec.scope'));
  else if (scope !== 'Cluster' && scope !== 'Namespaced') errs.push(notSupported('spec.scope', scope, ['Cluster', 'Namespaced']));
  const versions = list(spec['versions']);
  versions.forEach((v, i) => {
    list(v['additionalPrinterColumns']).forEach((column, j) => {
      const at = `spec.versions[${i}].additionalPrinterColumns[${j}]`;
      if (!text(column['name'])) errs.push(required(`${at}.name`));
      const type = text(column['type']);
      if (!type) errs.push(required(`${at}.type`));
      else if (!PRINTER_TYPES.includes(type)) errs.push(notSupported(`${at}.type`, type, PRINTER_TYPES));
      const format = text(column['format']);
      if (format && !PRINTER_FORMATS.includes(format)) errs.push(notSupported(`${at}.format`, format, PRINTER_FORMATS));
      const path = text(column['jsonPath']);
      if (!path) errs.push(required(`${at}.jsonPath`));
      else if (!path.startsWith('.')) errs.push(invalid(`${at}.jsonPath`, path, 'must be a simple json path starting with .'));
      else {
        try {
          parseJsonPath(path);
        } catch {
          errs.push(invalid(`${at}.jsonPath`, path, 'must be a simple json path starting with .'));
        }
      }
    });
  });
  if (versions.length === 0) errs.push(required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v['storage'] === true).length !== 1) {
    errs.push(invalid('spec.versions', versions.map((v) => text(v['name'])), 'must have exactly one version marked as storage version'));
  }
  return errs;
}
