/**
 * The metadata checks upstream runs for every kind (ValidateObjectMeta and
 * ValidateObjectMetaUpdate): names per the kind's rule, namespace presence, labels, annotations,
 * finalizers and owner references; name, namespace and uid immutable on update.
 */
import type { FieldError, KubeObject, ResourceInfo } from '../types.js';
import { forbidden, immutable, invalid, required, tooLong } from './errors.js';
import { NAME_CHECKS, dns1123Label, labelValue, qualifiedName, type NameCheck } from './names.js';

/** Kinds whose names follow another rule than a DNS-1123 subdomain. */
const NAME_RULES: Readonly<Record<string, NameCheck>> = {
  '/Namespace': NAME_CHECKS.label,
  '/Service': NAME_CHECKS.dns1035,
  'rbac.authorization.k8s.io/Role': NAME_CHECKS.pathSegment,
  'rbac.authorization.k8s.io/ClusterRole': NAME_CHECKS.pathSegment,
  'rbac.authorization.k8s.io/RoleBinding': NAME_CHECKS.pathSegment,
  'rbac.authorization.k8s.io/ClusterRoleBinding': NAME_CHECKS.pathSegment,
  'flowcontrol.apiserver.k8s.io/FlowSchema': NAME_CHECKS.pathSegment,
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': NAME_CHECKS.pathSegment,
  'certificates.k8s.io/CertificateSigningRequest': NAME_CHECKS.pathSegment,
  'apiregistration.k8s.io/APIService': NAME_CHECKS.pathSegment,
};

export function nameCheckFor(info: Pick<ResourceInfo, 'group' | 'kind'>): NameCheck {
  return NAME_RULES[`${info.group}/${info.kind}`] ?? NAME_CHECKS.subdomain;
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const asString = (value: unknown): string => (typeof value === 'string' ? value : '');

export function validateLabels(labels: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries(asRecord(labels))) {
    for (const msg of qualifiedName(key)) errs.push(invalid(field, key, msg));
    for (const msg of labelValue(asString(value))) errs.push(invalid(`${field}[${key}]`, value, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(asRecord(annotations))) {
    for (const msg of qualifiedName(key.toLowerCase())) errs.push(invalid(field, key, msg));
    size += Buffer.byteLength(key) + Buffer.byteLength(asString(value));
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE));
  return errs;
}

function validateFinalizers(finalizers: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = Array.isArray(finalizers) ? finalizers.map(asString) : [];
  for (const name of list) {
    for (const msg of qualifiedName(name)) errs.push(invalid(field, name, msg));
    if (!name.includes('/') && !STANDARD_FINALIZERS.has(name)) {
      errs.push(invalid(field, name, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(invalid(field, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

function validateOwnerReferences(refs: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const controllers: string[] = [];
  for (const ref of Array.isArray(refs) ? refs.map(asRecord) : []) {
    const apiVersion = asString(ref['apiVersion']);
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (!version) errs.push(invalid(`${field}.apiVersion`, version, 'version must not be empty'));
    if (!asString(ref['kind'])) errs.push(invalid(`${field}.kind`, asString(ref['kind']), 'kind must not be empty'));
    if (!asString(ref['name'])) errs.push(invalid(`${field}.name`, asString(ref['name']), 'name must not be empty'));
    if (!asString(ref['uid'])) errs.push(invalid(`${field}.uid`, asString(ref['uid']), 'uid must not be empty'));
    if (ref['controller'] === true) controllers.push(`${asString(ref['kind'])}/${asString(ref['name'])}`);
  }
  if (controllers.length > 1) {
    errs.push(invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`));
  }
  return errs;
}

/**
 * Every kind's metadata checks; `old` on update. The API server calls this before the kind's own
 * `validate`, after defaulting, and after it filled generateName into name.
 */
export function validateObjectMeta(info: Pick<ResourceInfo, 'group' | 'kind' | 'namespaced'>, object: KubeObject, old?: KubeObject): FieldError[] {
  const meta = asRecord(object.metadata);
  const errs: FieldError[] = [];
  const check = nameCheckFor(info);
  const generateName = asString(meta['generateName']);
  if (generateName) for (const msg of check(generateName, true)) errs.push(invalid('metadata.generateName', generateName, msg));
  const name = asString(meta['name']);
  if (!name) errs.push(required('metadata.name', 'name or generateName is required'));
  else for (const msg of check(name, false)) errs.push(invalid('metadata.name', name, msg));
  const namespace = asString(meta['namespace']);
  if (info.namespaced) {
    if (!namespace) errs.push(required('metadata.namespace'));
    else for (const msg of dns1123Label(namespace)) errs.push(invalid('metadata.namespace', namespace, msg));
  } else if (namespace) {
    errs.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  if (typeof meta['generation'] === 'number' && meta['generation'] < 0) {
    errs.push(invalid('metadata.generation', meta['generation'], 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(meta['labels'], 'metadata.labels'));
  errs.push(...validateAnnotations(meta['annotations'], 'metadata.annotations'));
  errs.push(...validateOwnerReferences(meta['ownerReferences'], 'metadata.ownerReferences'));
  errs.push(...validateFinalizers(meta['finalizers'], 'metadata.finalizers'));
  if (old) errs.push(...validateObjectMetaUpdate(meta, asRecord(old.metadata)));
  return errs;
}

/** metav1.Time printed through time.Time's String(): "2024-05-01 10:00:00 +0000 UTC". */
function goTime(timestamp: string): string {
  const t = new Date(timestamp);
  if (Number.isNaN(t.getTime())) return JSON.stringify(timestamp);
  return `${t.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '')} +0000 UTC`;
}

function validateObjectMetaUpdate(meta: Record<string, unknown>, old: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof old['deletionTimestamp'] === 'string') {
    const before = new Set(Array.isArray(old['finalizers']) ? old['finalizers'].map(asString) : []);
    const added = (Array.isArray(meta['finalizers']) ? meta['finalizers'].map(asString) : []).filter((f) => !before.has(f));
    if (added.length > 0) {
      const list = [...new Set(added)].sort().map((f) => JSON.stringify(f)).join(', ');
      errs.push(forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${list}}`));
    }
  }
  errs.push(...immutable('metadata.name', asString(meta['name']), asString(old['name'])));
  errs.push(...immutable('metadata.namespace', asString(meta['namespace']), asString(old['namespace'])));
  // Upstream resets creationTimestamp from the stored object before validating; a server that
  // does not would otherwise let it drift, so a differing one is reported as upstream words it.
  const created = asString(meta['creationTimestamp']);
  const wasCreated = asString(old['creationTimestamp']);
  if (created && wasCreated && Date.parse(created) !== Date.parse(wasCreated)) {
    errs.push({ ...invalid('metadata.creationTimestamp', created, 'field is immutable'), message: `Invalid value: ${goTime(created)}: field is immutable` });
  }
  // An update without a uid keeps the stored one (upstream fills it before validating).
  if (asString(meta['uid'])) errs.push(...immutable('metadata.uid', asString(meta['uid']), asString(old['uid'])));
  return errs;
}
