/**
 * Pod and pod-template validation: the checks a user hits (containers with unique DNS-label
 * names and images, ports, env names, volumes and mounts, enums) and, on update, upstream's rule
 * that a pod's spec is immutable except images, activeDeadlineSeconds, tolerations, the grace
 * period and scheduling gates.
 */
import type { FieldError, KubeObject } from '../types.js';
import { deepEqual, duplicate, forbidden, invalid, notFound, notSupported, required } from './errors.js';
import { validateAnnotations, validateLabels } from './metadata.js';
import { dns1123Label, dns1123Subdomain, envVarName, portName, portRange } from './names.js';
import { parseQuantity } from './quantity.js';
import { isSet, list, rec, text, type Json } from './values.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

function validatePorts(ports: Json[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = `${path}[${i}]`;
    const name = text(port['name']);
    if (name) {
      for (const msg of portName(name)) errs.push(invalid(`${at}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
      names.add(name);
    }
    const containerPort = port['containerPort'];
    if (!containerPort) errs.push(required(`${at}.containerPort`));
    else for (const msg of portRange(Number(containerPort))) errs.push(invalid(`${at}.containerPort`, containerPort, msg));
    if (port['hostPort']) for (const msg of portRange(Number(port['hostPort']))) errs.push(invalid(`${at}.hostPort`, port['hostPort'], msg));
    const protocol = text(port['protocol']);
    if (!protocol) errs.push(required(`${at}.protocol`));
    else if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(`${at}.protocol`, protocol, PROTOCOLS));
  });
  return errs;
}

function validateContainer(c: Json, path: string, volumes: Set<string>, init: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const image = text(c['image']);
  if (!image) errs.push(required(`${path}.image`));
  else if (image.trim() !== image) errs.push(invalid(`${path}.image`, image, 'must not have leading or trailing whitespace'));
  const pull = text(c['imagePullPolicy']);
  if (!pull) errs.push(required(`${path}.imagePullPolicy`));
  else if (!PULL_POLICIES.includes(pull)) errs.push(notSupported(`${path}.imagePullPolicy`, pull, PULL_POLICIES));
  const messagePolicy = text(c['terminationMessagePolicy']);
  if (!messagePolicy) errs.push(required(`${path}.terminationMessagePolicy`));
  else if (!MESSAGE_POLICIES.includes(messagePolicy)) errs.push(notSupported(`${path}.terminationMessagePolicy`, messagePolicy, MESSAGE_POLICIES));
  if (isSet(c['restartPolicy'])) {
    if (!init) errs.push(forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
    else if (c['restartPolicy'] !== 'Always') errs.push(notSupported(`${path}.restartPolicy`, c['restartPolicy'], ['Always']));
  }
  errs.push(...validatePorts(list(c['ports']), `${path}.ports`));
  errs.push(...validateResources(rec(c['resources']), `${path}.resources`));
  list(c['env']).forEach((env, i) => {
    const name = text(env['name']);
    if (!name) errs.push(required(`${path}.env[${i}].name`));
    else for (const msg of envVarName(name)) errs.push(invalid(`${path}.env[${i}].name`, name, msg));
  });
  list(c['volumeMounts']).forEach((mount, i) => {
    const at = `${path}.volumeMounts[${i}]`;
    const name = text(mount['name']);
    if (!name) errs.push(required(`${at}.name`));
    else if (!volumes.has(name)) errs.push(notFound(`${at}.name`, name));
    if (!text(mount['mountPath'])) errs.push(required(`${at}.mountPath`));
  });
  return errs;
}

/** Requests may not exceed limits; quantities may not be negative. */
function validateResources(resources: Json, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const requests = rec(resources['requests']);
  const limits = rec(resources['limits']);
  for (const [kind, map] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, value] of Object.entries(map)) {
      const q = parseQuantity(value);
      if (q !== undefined && q < 0) errs.push(invalid(`${path}.${kind}[${name}]`, value, 'must be greater than or equal to 0'));
    }
  }
  for (const [name, value] of Object.entries(requests)) {
    const request = parseQuantity(value);
    const limit = parseQuantity(limits[name]);
    if (request !== undefined && limit !== undefined && request > limit) {
      errs.push(invalid(`${path}.requests`, value, `must be less than or equal to ${name} limit of ${text(limits[name]) || String(limits[name])}`));
    }
  }
  return errs;
}

/** ValidatePodSpec's user-facing checks; `path` is "spec" or "spec.template.spec". */
export function validatePodSpec(spec: Json, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const volumes = new Set<string>();
  list(spec['volumes']).forEach((v, i) => {
    const name = text(v['name']);
    const at = `${path}.volumes[${i}].name`;
    if (!name) errs.push(required(at));
    else for (const msg of dns1123Label(name)) errs.push(invalid(at, name, msg));
    if (name && volumes.has(name)) errs.push(duplicate(at, name));
    volumes.add(name);
  });
  const names = new Set<string>();
  const checkName = (c: Json, at: string): void => {
    const name = text(c['name']);
    if (!name) errs.push(required(`${at}.name`));
    else {
      for (const msg of dns1123Label(name)) errs.push(invalid(`${at}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
    }
    names.add(name);
  };
  const containers = list(spec['containers']);
  if (containers.length === 0) errs.push(required(`${path}.containers`));
  list(spec['initContainers']).forEach((c, i) => {
    const at = `${path}.initContainers[${i}]`;
    checkName(c, at);
    errs.push(...validateContainer(c, at, volumes, true));
  });
  containers.forEach((c, i) => {
    const at = `${path}.containers[${i}]`;
    checkName(c, at);
    errs.push(...validateContainer(c, at, volumes, false));
  });
  const restart = text(spec['restartPolicy']);
  if (!restart) errs.push(required(`${path}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(restart)) errs.push(notSupported(`${path}.restartPolicy`, restart, RESTART_POLICIES));
  const dns = text(spec['dnsPolicy']);
  if (!dns) errs.push(required(`${path}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(dns)) errs.push(notSupported(`${path}.dnsPolicy`, dns, DNS_POLICIES));
  const deadline = spec['activeDeadlineSeconds'];
  if (isSet(deadline) && (typeof deadline !== 'number' || deadline < 1 || deadline > 2147483647)) {
    errs.push(invalid(`${path}.activeDeadlineSeconds`, deadline, 'must be between 1 and 2147483647, inclusive'));
  }
  for (const key of ['nodeName', 'serviceAccountName']) {
    const value = text(spec[key]);
    if (value) for (const msg of dns1123Subdomain(value)) errs.push(invalid(`${path}.${key}`, value, msg));
  }
  for (const key of ['hostname', 'subdomain']) {
    const value = text(spec[key]);
    if (value) for (const msg of dns1123Label(value)) errs.push(invalid(`${path}.${key}`, value, msg));
  }
  errs.push(...validateLabels(spec['nodeSelector'], `${path}.nodeSelector`));
  return errs;
}

/** A PodTemplateSpec at `path` ("spec.template"): its labels, annotations and pod spec. */
export function validatePodTemplate(template: unknown, path: string): FieldError[] {
  const t = rec(template);
  const meta = rec(t['metadata']);
  return [
    ...validateLabels(meta['labels'], `${path}.metadata.labels`),
    ...validateAnnotations(meta['annotations'], `${path}.metadata.annotations`),
    ...validatePodSpec(rec(t['spec']), `${path}.spec`),
  ];
}

const UPDATABLE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** The spec with the fields a pod update may change taken from `from`. */
function withMutableFrom(spec: Json, from: Json): Json {
  const copy = structuredClone(spec);
  for (const key of ['containers', 'initContainers']) {
    const mine = list(copy[key]);
    const theirs = list(from[key]);
    if (mine.length === theirs.length) mine.forEach((c, i) => (c['image'] = theirs[i]?.['image']));
  }
  for (const key of ['activeDeadlineSeconds', 'tolerations', 'terminationGracePeriodSeconds', 'schedulingGates']) {
    if (isSet(from[key])) copy[key] = from[key];
    else delete copy[key];
  }
  return copy;
}

export function validatePod(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = validatePodSpec(spec, 'spec');
  if (old) {
    const oldSpec = rec(old['spec']);
    // A pod not yet bound may gain its node only through the binding subresource.
    if (!deepEqual(withMutableFrom(spec, oldSpec), oldSpec)) {
      errs.push(forbidden('spec', `${UPDATABLE}\n${specDiff(oldSpec, spec)}`));
    }
    const oldGates = list(oldSpec['schedulingGates']).map((g) => text(g['name']));
    const added = list(spec['schedulingGates']).filter((g) => !oldGates.includes(text(g['name'])));
    if (added.length > 0) errs.push(forbidden('spec.schedulingGates', 'only deletion is allowed, but found new scheduling gate ' + JSON.stringify(text(added[0]?.['name']))));
  }
  return errs;
}

/** Which top-level spec fields changed (upstream prints a full struct diff here). */
function specDiff(before: Json, after: Json): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changed = keys.filter((k) => !deepEqual(before[k], after[k]));
  return changed.map((k) => `  spec.${k}: ${JSON.stringify(before[k]) ?? 'null'} -> ${JSON.stringify(after[k]) ?? 'null'}`).join('\n');
}
