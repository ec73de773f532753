/**
 * Label selectors as the ?labelSelector= query parameter writes them (apimachinery's
 * labels.Parse grammar): requirements separated by commas, each one of
 *   key  !key  key=v  key==v  key!=v  key in (a,b)  key notin (a,b)  key>N  key<N
 * Parsing errors become 400 BadRequest upstream; here they throw SelectorError.
 */

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

export type LabelRequirement =
  | { readonly key: string; readonly op: 'exists' | 'notexists' }
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'gt' | 'lt'; readonly value: number };

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** True when it selects everything (empty selector). */
  readonly empty: boolean;
}

const KEY = /^([a-z0-9A-Z]([a-z0-9A-Z.-]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([a-z0-9A-Z_.-]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([a-z0-9A-Z_.-]*[a-z0-9A-Z])?)?$/;

function checkKey(key: string): string {
  if (!KEY.test(key) || key.length > 316) {
    throw new SelectorError(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw new SelectorError(`unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  return value;
}

/** Splits on commas outside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function parseRequirement(raw: string): LabelRequirement {
  const text = raw.trim();
  if (text === '') throw new SelectorError('found \'\', expected: !, identifier, or \'end of string\'');
  let m = /^!\s*(\S+)$/.exec(text);
  if (m) return { key: checkKey(m[1]!), op: 'notexists' };
  m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (m) {
    const values = m[3]!.split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(m[1]!), op: m[2] === 'in' ? 'in' : 'notin', values };
  }
  m = /^([^=!<>\s]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
  if (m) {
    const value = checkValue(m[3]!.trim());
    return { key: checkKey(m[1]!), op: m[2] === '!=' ? 'notin' : 'in', values: [value] };
  }
  m = /^([^=!<>\s]+)\s*([<>])\s*(.*)$/.exec(text);
  if (m) {
    const value = Number(m[3]!.trim());
    if (!Number.isInteger(value)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
    return { key: checkKey(m[1]!), op: m[2] === '>' ? 'gt' : 'lt', value };
  }
  if (/^\S+$/.test(text)) return { key: checkKey(text), op: 'exists' };
  throw new SelectorError(`unable to parse requirement: "${text}"`);
}

function matchOne(req: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && req.values.includes(value!);
    case 'notin':
      return !has || !req.values.includes(value!);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const n = Number(value);
      return req.op === 'gt' ? n > req.value : n < req.value;
    }
  }
}

export function parseLabelSelector(text: string | undefined | null): LabelSelector {
  const trimmed = (text ?? '').trim();
  const requirements = trimmed === '' ? [] : splitTop(trimmed).map(parseRequirement);
  return {
    requirements,
    empty: requirements.length === 0,
    matches(labels) {
      const map = labels ?? {};
      return requirements.every((r) => matchOne(r, map));
    },
  };
}

/** A metav1.LabelSelector ({matchLabels, matchExpressions}) as a matcher; used by scale and eviction. */
export function labelSelectorFromObject(selector: unknown): LabelSelector {
  const sel = (selector ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) requirements.push({ key, op: 'in', values: [value] });
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') requirements.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (e.operator === 'NotIn') requirements.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (e.operator === 'Exists') requirements.push({ key: e.key, op: 'exists' });
    else if (e.operator === 'DoesNotExist') requirements.push({ key: e.key, op: 'notexists' });
  }
  return {
    requirements,
    empty: requirements.length === 0,
    matches(labels) {
      const map = labels ?? {};
      return requirements.every((r) => matchOne(r, map));
    },
  };
}
