/** ConfigMap and Secret validation: key syntax, size, the `immutable` flag and secret types. */
import type { FieldError, KubeObject } from '../types.js';
import { deepEqual, forbidden, immutable, invalid, required, tooLong } from './errors.js';
import { configMapKey } from './names.js';
import { rec, text } from './values.js';

const MAX_SIZE = 1024 * 1024;

function validateKeys(map: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(rec(map))) for (const msg of configMapKey(key)) errs.push(invalid(`${field}[${key}]`, key, msg));
  return errs;
}

/** Once `immutable: true`, data and the flag itself are frozen. */
function immutableUpdate(object: KubeObject, old: KubeObject, fields: readonly string[]): FieldError[] {
  if (old['immutable'] !== true) return [];
  const errs: FieldError[] = [];
  const detail = 'field is immutable when `immutable` is set';
  for (const field of fields) if (!deepEqual(object[field] ?? {}, old[field] ?? {})) errs.push(forbidden(field, detail));
  if (object['immutable'] !== true) errs.push(forbidden('immutable', detail));
  return errs;
}

export function validateConfigMap(object: KubeObject, old?: KubeObject): FieldError[] {
  const errs = [...validateKeys(object['data'], 'data'), ...validateKeys(object['binaryData'], 'binaryData')];
  const data = rec(object['data']);
  let size = 0;
  for (const value of Object.values(data)) size += Buffer.byteLength(text(value));
  for (const [key, value] of Object.entries(rec(object['binaryData']))) {
    if (Object.hasOwn(data, key)) errs.push(invalid(`binaryData[${key}]`, key, 'duplicate of key present in data'));
    size += Buffer.from(text(value), 'base64').length;
  }
  if (size > MAX_SIZE) errs.push(tooLong('', MAX_SIZE));
  if (old) errs.push(...immutableUpdate(object, old, ['data', 'binaryData']));
  return errs;
}

/** Keys each well-known secret type must carry. */
const REQUIRED_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

export function validateSecret(object: KubeObject, old?: KubeObject): FieldError[] {
  const errs = validateKeys(object['data'], 'data');
  const data = rec(object['data']);
  let size = 0;
  for (const value of Object.values(data)) size += Buffer.from(text(value), 'base64').length;
  if (size > MAX_SIZE) errs.push(tooLong('data', MAX_SIZE));
  const type = text(object['type']);
  for (const key of REQUIRED_KEYS[type] ?? []) if (!Object.hasOwn(data, key)) errs.push(required(`data[${key}]`));
  if (type === 'kubernetes.io/service-account-token') {
    const annotations = rec(rec(object.metadata)['annotations']);
    if (!text(annotations['kubernetes.io/service-account.name'])) errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (type === 'kubernetes.io/basic-auth' && !Object.hasOwn(data, 'username') && !Object.hasOwn(data, 'password')) {
    errs.push(required('data[username]'), required('data[password]'));
  }
  if (type === 'kubernetes.io/dockerconfigjson' && Object.hasOwn(data, '.dockerconfigjson')) {
    try {
      JSON.parse(Buffer.from(text(data['.dockerconfigjson']), 'base64').toString('utf8'));
    } catch (err) {
      errs.push(invalid('data[.dockerconfigjson]', '<secret contents redacted>', err instanceof Error ? err.message : String(err)));
    }
  }
  if (old) {
    errs.push(...immutable('type', type, text(old['type'])));
    errs.push(...immutableUpdate(object, old, ['data']));
  }
  return errs;
}
