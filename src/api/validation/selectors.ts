/** metav1.LabelSelector validation (ValidateLabelSelector) and the workload selector rules. */
import type { FieldError } from '../types.js';
import { forbidden, invalid, required } from './errors.js';
import { validateLabels } from './metadata.js';
import { labelValue, qualifiedName } from './names.js';
import { goLabelSelector, isSet, list, rec, selectorMatches, text } from './values.js';

export function validateLabelSelector(selector: unknown, path: string): FieldError[] {
  const sel = rec(selector);
  const errs: FieldError[] = [];
  list(sel['matchExpressions']).forEach((e, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const operator = text(e['operator']);
    const values = Array.isArray(e['values']) ? e['values'] : [];
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) errs.push(required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) errs.push(forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalid(`${at}.operator`, operator, 'not a valid selector operator'));
    }
    const key = text(e['key']);
    for (const msg of qualifiedName(key)) errs.push(invalid(`${at}.key`, key, msg));
    values.forEach((v, j) => {
      for (const msg of labelValue(text(v))) errs.push(invalid(`${at}.values[${j}]`, v, msg));
    });
  });
  errs.push(...validateLabels(sel['matchLabels'], `${path}.matchLabels`));
  return errs;
}

const isEmptySelector = (selector: unknown): boolean =>
  Object.keys(rec(rec(selector)['matchLabels'])).length === 0 && list(rec(selector)['matchExpressions']).length === 0;

/**
 * A workload's selector: present, non-empty ("empty selector is invalid for <what>"), valid, and
 * selecting its template's labels.
 */
export function validateWorkloadSelector(spec: Record<string, unknown>, what: string, path = 'spec'): FieldError[] {
  const selector = spec['selector'];
  if (!isSet(selector)) return [required(`${path}.selector`)];
  const errs = validateLabelSelector(selector, `${path}.selector`);
  if (isEmptySelector(selector)) errs.push({ ...invalid(`${path}.selector`, null, `empty selector is invalid for ${what}`), message: `Invalid value: ${goLabelSelector(selector)}: empty selector is invalid for ${what}` });
  else errs.push(...templateMatches(selector, spec, path));
  return errs;
}

export function templateMatches(selector: unknown, spec: Record<string, unknown>, path = 'spec'): FieldError[] {
  const labels = rec(rec(rec(spec['template'])['metadata'])['labels']);
  return selectorMatches(selector, labels) ? [] : [invalid(`${path}.template.metadata.labels`, labels, '`selector` does not match template `labels`')];
}

/** The selector is immutable in apps/v1. */
export function selectorImmutable(spec: Record<string, unknown>, old: Record<string, unknown>, path = 'spec'): FieldError[] {
  if (JSON.stringify(canonical(spec['selector'])) === JSON.stringify(canonical(old['selector']))) return [];
  return [{ ...invalid(`${path}.selector`, null, 'field is immutable'), message: `Invalid value: ${goLabelSelector(spec['selector'])}: field is immutable` }];
}

const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
};
