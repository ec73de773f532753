/**
 * Field selectors (?fieldSelector=metadata.name=x,status.phase!=Running): each requirement is
 * `field=value`, `field==value` or `field!=value`; the fields a kind supports are
 * metadata.name, metadata.namespace and the catalogue's fieldSelectors. Values may escape
 * `\,` `\=` `\\` as apimachinery's fields.Parse accepts.
 */
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import { SelectorError } from './labels.js';

export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  matches(object: KubeObject): boolean;
  /** The exact value required for `field` (`field=value`), if any: lets watches and lists narrow by name. */
  exact(field: string): string | undefined;
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

function parseRequirement(text: string): FieldRequirement {
  let i = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '=' || c === '!') break;
  }
  const field = text.slice(0, i).trim();
  const rest = text.slice(i);
  let op: FieldRequirement['op'];
  let value: string;
  if (rest.startsWith('!=')) [op, value] = ['!=', rest.slice(2)];
  else if (rest.startsWith('==')) [op, value] = ['=', rest.slice(2)];
  else if (rest.startsWith('=')) [op, value] = ['=', rest.slice(1)];
  else throw new SelectorError(`invalid selector: '${text}'; can't understand '${text}'`);
  if (field === '') throw new SelectorError(`invalid selector: '${text}'; can't understand '${text}'`);
  return { field, op, value: unescape(value) };
}

/** The value of a selectable field of `object`, or undefined when the kind does not support it. */
export function fieldValue(info: ResourceInfo, object: KubeObject, field: string): string | undefined {
  if (field === 'metadata.name') return object.metadata?.name ?? '';
  if (field === 'metadata.namespace') return info.namespaced ? (object.metadata?.namespace ?? '') : '';
  const extractor = info.fieldSelectors?.[field];
  return extractor ? (extractor(object) ?? '') : undefined;
}

export function parseFieldSelector(text: string | undefined | null, info: ResourceInfo): FieldSelector {
  const trimmed = (text ?? '').trim();
  const requirements = trimmed === '' ? [] : splitUnescaped(trimmed, ',').filter((p) => p.trim() !== '').map(parseRequirement);
  for (const req of requirements) {
    if (req.field !== 'metadata.name' && req.field !== 'metadata.namespace' && !info.fieldSelectors?.[req.field]) {
      throw new SelectorError(`field label not supported: ${req.field}`);
    }
  }
  return {
    requirements,
    empty: requirements.length === 0,
    matches(object) {
      return requirements.every((r) => {
        const value = fieldValue(info, object, r.field) ?? '';
        return r.op === '=' ? value === r.value : value !== r.value;
      });
    },
    exact(field) {
      return requirements.find((r) => r.field === field && r.op === '=')?.value;
    },
  };
}
