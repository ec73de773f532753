/** rbac.authorization.k8s.io/v1 validation: rules, role references and subjects. */
import type { FieldError, KubeObject } from '../types.js';
import { deepEqual, invalid, notSupported, required } from './errors.js';
import { validateLabelSelector } from './selectors.js';
import { list, rec, text, type Json } from './values.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validateRule(rule: Json, path: string, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const len = (key: string): number => (Array.isArray(rule[key]) ? (rule[key] as unknown[]).length : 0);
  if (len('verbs') === 0) errs.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (len('nonResourceURLs') > 0) {
    if (namespaced) errs.push(invalid(`${path}.nonResourceURLs`, rule['nonResourceURLs'], 'namespaced rules cannot apply to non-resource URLs'));
    if (len('apiGroups') > 0 || len('resources') > 0 || len('resourceNames') > 0) {
      errs.push(invalid(`${path}.nonResourceURLs`, rule['nonResourceURLs'], 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (len('apiGroups') === 0) errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (len('resources') === 0) errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

export function validateRole(object: KubeObject): FieldError[] {
  return list(object['rules']).flatMap((rule, i) => validateRule(rule, `rules[${i}]`, true));
}

export function validateClusterRole(object: KubeObject): FieldError[] {
  const errs = list(object['rules']).flatMap((rule, i) => validateRule(rule, `rules[${i}]`, false));
  const aggregation = object['aggregationRule'];
  if (aggregation !== undefined && aggregation !== null) {
    const selectors = list(rec(aggregation)['clusterRoleSelectors']);
    if (selectors.length === 0) errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    selectors.forEach((s, i) => errs.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
    // No check that rules are empty: the aggregation controller writes them on these very roles.
  }
  return errs;
}

function validateBinding(object: KubeObject, old: KubeObject | undefined, cluster: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = rec(object['roleRef']);
  if (text(ref['apiGroup']) !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', text(ref['apiGroup']), [RBAC_GROUP]));
  const kinds = cluster ? ['ClusterRole'] : ['Role', 'ClusterRole'];
  if (!kinds.includes(text(ref['kind']))) errs.push(notSupported('roleRef.kind', text(ref['kind']), kinds));
  if (!text(ref['name'])) errs.push(required('roleRef.name'));
  list(object['subjects']).forEach((subject, i) => {
    const at = `subjects[${i}]`;
    const kind = text(subject['kind']);
    if (!text(subject['name'])) errs.push(required(`${at}.name`));
    if (kind === 'ServiceAccount') {
      if (text(subject['apiGroup']) !== '') errs.push(notSupported(`${at}.apiGroup`, text(subject['apiGroup']), ['']));
      if (cluster && !text(subject['namespace'])) errs.push(required(`${at}.namespace`));
    } else if (kind === 'User' || kind === 'Group') {
      if (text(subject['apiGroup']) !== RBAC_GROUP) errs.push(notSupported(`${at}.apiGroup`, text(subject['apiGroup']), [RBAC_GROUP]));
    } else {
      errs.push(notSupported(`${at}.kind`, kind, ['ServiceAccount', 'User', 'Group']));
    }
  });
  if (old && !deepEqual(object['roleRef'], old['roleRef'])) errs.push(invalid('roleRef', object['roleRef'], 'cannot change roleRef'));
  return errs;
}

export const validateRoleBinding = (object: KubeObject, old?: KubeObject): FieldError[] => validateBinding(object, old, false);
export const validateClusterRoleBinding = (object: KubeObject, old?: KubeObject): FieldError[] => validateBinding(object, old, true);
