/**
 * Content negotiation. Responses: JSON (default), YAML, or a transformation kubectl asks for with
 * Accept parameters (as=Table;v=v1;g=meta.k8s.io, as=PartialObjectMetadata[List]). Protobuf
 * responses are not produced: clients that accept protobuf also accept JSON, and one that accepts
 * nothing we speak gets 406. Request bodies: JSON, YAML, protobuf, and the four patch types.
 */
import { notAcceptable } from '../errors.js';

export interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
      }
      return { type: type.toLowerCase(), params };
    })
    .filter((m) => m.type !== '');
}

export type OutputFormat =
  | { readonly kind: 'json'; readonly pretty: boolean }
  | { readonly kind: 'yaml' }
  | { readonly kind: 'table'; readonly version: 'v1' | 'v1beta1' }
  | { readonly kind: 'partial'; readonly version: 'v1' | 'v1beta1'; readonly list: boolean };

const JSON_TYPES = new Set(['application/json', '*/*', 'application/*']);

/**
 * The output format for a response. `transformable` is false for requests whose answer cannot be
 * a Table (writes, subresources): then as=... entries are skipped, as upstream does.
 */
export function negotiateOutput(accept: string | undefined, transformable: boolean, pretty = false): OutputFormat {
  const types = parseMediaTypes(accept);
  if (types.length === 0) return { kind: 'json', pretty };
  for (const m of types) {
    const as = m.params['as'];
    if (as !== undefined) {
      if (!transformable || (m.type !== 'application/json' && m.type !== 'application/yaml')) continue;
      if (m.params['g'] !== 'meta.k8s.io') continue;
      const version = m.params['v'];
      if (version !== 'v1' && version !== 'v1beta1') continue;
      if (as === 'Table') return { kind: 'table', version };
      if (as === 'PartialObjectMetadata') return { kind: 'partial', version, list: false };
      if (as === 'PartialObjectMetadataList') return { kind: 'partial', version, list: true };
      continue;
    }
    if (JSON_TYPES.has(m.type)) return { kind: 'json', pretty };
    if (m.type === 'application/yaml' || m.type === 'text/yaml') return { kind: 'yaml' };
  }
  throw notAcceptable();
}

export type BodyType = 'json' | 'yaml' | 'protobuf' | 'patch-json' | 'patch-merge' | 'patch-strategic' | 'patch-apply' | 'unknown';

export function bodyType(contentType: string | undefined): BodyType {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (type) {
    case '':
    case 'application/json':
      return 'json';
    case 'application/yaml':
    case 'text/yaml':
    case 'application/x-yaml':
      return 'yaml';
    case 'application/vnd.kubernetes.protobuf':
      return 'protobuf';
    case 'application/json-patch+json':
      return 'patch-json';
    case 'application/merge-patch+json':
      return 'patch-merge';
    case 'application/strategic-merge-patch+json':
      return 'patch-strategic';
    case 'application/apply-patch+yaml':
      return 'patch-apply';
    default:
      return 'unknown';
  }
}
