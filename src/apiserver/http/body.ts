/**
 * Request bodies: read with a size cap (3 MiB, upstream's limit -> 413), then decoded by
 * Content-Type into the JSON value the registry works on. Decoding failures are 400 BadRequest
 * with the decoder's reason; unknown content types are 415.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { parseAllDocuments } from 'yaml';
import { badRequest, MAX_BODY_BYTES, tooLarge, unsupportedMediaType } from '../errors.js';
import type { Extensions } from '../types.js';
import { bodyType, type BodyType } from './negotiate.js';

export async function readBody(req: IncomingMessage | Http2ServerRequest, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface DecodedBody {
  readonly type: BodyType;
  readonly value: unknown;
  /** Duplicate field paths found while parsing (for fieldValidation). */
  readonly duplicates: readonly string[];
}

export function parseJson(text: string, ext: Extensions): { value: unknown; duplicates: string[] } {
  try {
    if (ext.parseJsonStrict) return ext.parseJsonStrict(text);
    return { value: JSON.parse(text) as unknown, duplicates: [] };
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function parseYaml(text: string): { value: unknown; duplicates: string[] } {
  const docs = parseAllDocuments(text, { uniqueKeys: false, prettyErrors: false });
  if (!Array.isArray(docs)) throw badRequest('error converting YAML to JSON: no document');
  const nonEmpty = docs.filter((d) => d.contents !== null);
  if (nonEmpty.length > 1) throw badRequest('error converting YAML to JSON: the request body must hold one YAML document, found several');
  const doc = nonEmpty[0] ?? docs[0];
  if (!doc) return { value: null, duplicates: [] };
  const fatal = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
  if (fatal) throw badRequest(`error converting YAML to JSON: yaml: ${fatal.message}`);
  const duplicates = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY').map((e) => e.message);
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, duplicates };
  } catch (err) {
    throw badRequest(`error converting YAML to JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function decodeBody(contentType: string | undefined, body: Buffer, ext: Extensions): DecodedBody {
  const type = bodyType(contentType);
  if (type === 'unknown') throw unsupportedMediaType(contentType ?? '');
  if (type === 'protobuf') {
    if (!ext.decodeProtobuf) throw unsupportedMediaType(contentType ?? '');
    try {
      return { type, value: ext.decodeProtobuf(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)), duplicates: [] };
    } catch (err) {
      throw badRequest(`failed to decode protobuf body: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty; expected an object');
  if (type === 'yaml' || type === 'patch-apply') {
    // apply-patch+yaml is YAML, a superset of JSON.
    const { value, duplicates } = parseYaml(text);
    return { type, value, duplicates };
  }
  const { value, duplicates } = parseJson(text, ext);
  return { type, value, duplicates };
}
