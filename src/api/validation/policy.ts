/** ResourceQuota, LimitRange and admission-webhook configuration validation. */
import type { FieldError, KubeObject } from '../types.js';
import { duplicate, invalid, notSupported, required } from './errors.js';
import { dns1123Subdomain } from './names.js';
import { parseQuantity } from './quantity.js';
import { validateLabelSelector } from './selectors.js';
import { isSet, list, rec, text, type Json } from './values.js';

const QUOTA_SCOPES = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'];

function nonNegativeQuantities(map: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, value] of Object.entries(rec(map))) {
    const q = parseQuantity(value);
    if (q !== undefined && q < 0) errs.push(invalid(`${field}[${name}]`, text(value) || String(value), 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateResourceQuota(object: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs = nonNegativeQuantities(spec['hard'], 'spec.hard');
  const scopes = Array.isArray(spec['scopes']) ? spec['scopes'].map(text) : [];
  scopes.forEach((scope, i) => {
    if (!QUOTA_SCOPES.includes(scope)) errs.push(notSupported(`spec.scopes[${i}]`, scope, QUOTA_SCOPES));
  });
  return errs;
}

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

export function validateLimitRange(object: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  list(rec(object['spec'])['limits']).forEach((item, i) => {
    const at = `spec.limits[${i}]`;
    const type = text(item['type']);
    if (!LIMIT_TYPES.includes(type)) errs.push(notSupported(`${at}.type`, type, LIMIT_TYPES));
    for (const key of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) errs.push(...nonNegativeQuantities(item[key], `${at}.${key}`));
    const max = rec(item['max']);
    const min = rec(item['min']);
    const show = (v: unknown): string => text(v) || String(v);
    for (const [name, value] of Object.entries(min)) {
      const lo = parseQuantity(value);
      const hi = parseQuantity(max[name]);
      if (lo !== undefined && hi !== undefined && lo > hi) errs.push(invalid(`${at}.min[${name}]`, show(value), `min value ${show(value)} is greater than max value ${show(max[name])}`));
    }
    for (const key of ['default', 'defaultRequest']) {
      const word = key === 'default' ? 'default' : 'default request';
      for (const [name, value] of Object.entries(rec(item[key]))) {
        const v = parseQuantity(value);
        const hi = parseQuantity(max[name]);
        const lo = parseQuantity(min[name]);
        if (v !== undefined && hi !== undefined && v > hi) errs.push(invalid(`${at}.${key}[${name}]`, show(value), `${word} value ${show(value)} is greater than max value ${show(max[name])}`));
        if (v !== undefined && lo !== undefined && v < lo) errs.push(invalid(`${at}.${key}[${name}]`, show(value), `min value ${show(min[name])} is greater than ${word} value ${show(value)}`));
      }
    }
  });
  return errs;
}

const SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];

function validateWebhook(hook: Json, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = text(hook['name']);
  if (!name) errs.push(required(`${at}.name`));
  else {
    for (const msg of dns1123Subdomain(name)) errs.push(invalid(`${at}.name`, name, msg));
    if (name.split('.').length < 3) errs.push(invalid(`${at}.name`, name, 'should be a domain with at least three segments separated by dots'));
  }
  const sideEffects = text(hook['sideEffects']);
  if (!SIDE_EFFECTS.includes(sideEffects)) errs.push(notSupported(`${at}.sideEffects`, sideEffects, SIDE_EFFECTS));
  const failure = text(hook['failurePolicy']);
  if (failure && !FAILURE_POLICIES.includes(failure)) errs.push(notSupported(`${at}.failurePolicy`, failure, FAILURE_POLICIES));
  const match = text(hook['matchPolicy']);
  if (match && !MATCH_POLICIES.includes(match)) errs.push(notSupported(`${at}.matchPolicy`, match, MATCH_POLICIES));
  const versions = Array.isArray(hook['admissionReviewVersions']) ? hook['admissionReviewVersions'].map(text) : [];
  if (versions.length === 0) errs.push(required(`${at}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
  else if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) {
    errs.push(invalid(`${at}.admissionReviewVersions`, versions, 'must include at least one of v1, v1beta1'));
  }
  const timeout = hook['timeoutSeconds'];
  if (typeof timeout === 'number' && (timeout < 1 || timeout > 30)) errs.push(invalid(`${at}.timeoutSeconds`, timeout, 'the timeout value must be between 1 and 30 seconds'));
  const client = rec(hook['clientConfig']);
  const hasURL = isSet(client['url']);
  const hasService = isSet(client['service']);
  if (hasURL === hasService) errs.push(required(`${at}.clientConfig`, 'exactly one of url or service is required'));
  if (hasService) {
    const service = rec(client['service']);
    if (!text(service['name'])) errs.push(required(`${at}.clientConfig.service.name`, 'service name is required'));
    if (!text(service['namespace'])) errs.push(required(`${at}.clientConfig.service.namespace`, 'service namespace is required'));
  }
  for (const key of ['namespaceSelector', 'objectSelector']) if (isSet(hook[key])) errs.push(...validateLabelSelector(hook[key], `${at}.${key}`));
  return errs;
}

export function validateWebhookConfiguration(object: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list(object['webhooks']).forEach((hook, i) => {
    const at = `webhooks[${i}]`;
    errs.push(...validateWebhook(hook, at));
    const name = text(hook['name']);
    if (name && names.has(name)) errs.push(duplicate(`${at}.name`, name));
    names.add(name);
  });
  return errs;
}
