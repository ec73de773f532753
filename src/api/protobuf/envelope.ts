/**
 * The application/vnd.kubernetes.protobuf body: the 4 bytes "k8s\0", then a runtime.Unknown
 * message (typeMeta 1 {apiVersion 1, kind 2}, raw 2, contentEncoding 3, contentType 4) whose raw
 * bytes are the object's own message.
 */
import { definitionName } from '../resources/define.js';
import { typeDef } from '../schema/registry.js';
import { decodeMessage, type JsonObject } from './decode.js';
import { encodeMessage } from './encode.js';
import { ProtobufError, WIRE_BYTES, WireReader, decodeUtf8 } from './wire.js';

export const PROTOBUF_MAGIC = Uint8Array.from([0x6b, 0x38, 0x73, 0x00]);

export interface Envelope {
  readonly apiVersion: string;
  readonly kind: string;
  readonly raw: Uint8Array;
  readonly contentEncoding: string;
  readonly contentType: string;
}

export function decodeEnvelope(body: Uint8Array): Envelope {
  if (body.length < 4 || !PROTOBUF_MAGIC.every((byte, i) => body[i] === byte)) {
    throw new ProtobufError('body does not start with the protobuf envelope prefix "k8s\\x00"');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array();
  let contentEncoding = '';
  let contentType = '';
  for (const field of WireReader.fields(body.subarray(4))) {
    if (field.wireType !== WIRE_BYTES || !field.bytes) continue;
    if (field.number === 1) {
      for (const meta of WireReader.fields(field.bytes)) {
        if (meta.wireType !== WIRE_BYTES || !meta.bytes) continue;
        if (meta.number === 1) apiVersion = decodeUtf8(meta.bytes);
        else if (meta.number === 2) kind = decodeUtf8(meta.bytes);
      }
    } else if (field.number === 2) raw = field.bytes;
    else if (field.number === 3) contentEncoding = decodeUtf8(field.bytes);
    else if (field.number === 4) contentType = decodeUtf8(field.bytes);
  }
  return { apiVersion, kind, raw, contentEncoding, contentType };
}

/** Kinds of meta.k8s.io/v1 that any group/version accepts (options bodies, Status). */
const META_KINDS = new Set(['DeleteOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'ListOptions', 'GetOptions', 'Status']);

/** The schema definition of a group/version/kind, or undefined when none is declared. */
export function definitionFor(apiVersion: string, kind: string): string | undefined {
  if (META_KINDS.has(kind)) return `io.k8s.apimachinery.pkg.apis.meta.v1.${kind}`;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  let definition: string;
  try {
    definition = definitionName({ group, version, kind });
  } catch {
    return undefined;
  }
  return typeDef(definition) ? definition : undefined;
}

/**
 * Decodes a whole protobuf request body into the JSON object (apiVersion and kind first).
 * Throws ProtobufError, whose message is fit for a 400 BadRequest, on anything malformed.
 */
export function decodeProtobufObject(body: Uint8Array): JsonObject {
  const envelope = decodeEnvelope(body);
  if (!envelope.kind || !envelope.apiVersion) throw new ProtobufError('protobuf envelope carries no apiVersion and kind');
  if (envelope.contentEncoding) throw new ProtobufError(`unsupported protobuf content encoding "${envelope.contentEncoding}"`);
  if (envelope.contentType && !envelope.contentType.startsWith('application/vnd.kubernetes.protobuf')) {
    if (envelope.contentType.startsWith('application/json')) {
      try {
        return JSON.parse(decodeUtf8(envelope.raw)) as JsonObject;
      } catch (error) {
        throw new ProtobufError('the JSON inside the protobuf envelope does not parse', { cause: error });
      }
    }
    throw new ProtobufError(`unsupported content type "${envelope.contentType}" inside the protobuf envelope`);
  }
  const definition = definitionFor(envelope.apiVersion, envelope.kind);
  if (!definition) {
    throw new ProtobufError(`no protobuf decoding for kind ${envelope.kind} in ${envelope.apiVersion}; send it as JSON`);
  }
  return { kind: envelope.kind, apiVersion: envelope.apiVersion, ...decodeMessage(envelope.raw, definition) };
}

/**
 * Encodes a JSON object (with apiVersion and kind) as a protobuf response body, envelope
 * included. Undefined when its kind has no declared schema: answer JSON instead.
 */
export function encodeProtobufObject(object: JsonObject): Uint8Array | undefined {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const definition = definitionFor(apiVersion, kind);
  if (!definition) return undefined;
  const raw = encodeMessage(object, definition);
  const typeMeta = Buffer.concat([field(1, Buffer.from(apiVersion)), field(2, Buffer.from(kind))]);
  return Buffer.concat([PROTOBUF_MAGIC, field(1, typeMeta), field(2, raw), field(3, Buffer.alloc(0)), field(4, Buffer.alloc(0))]);
}

function field(number: number, data: Uint8Array): Buffer {
  const out: number[] = [(number << 3) | WIRE_BYTES];
  let length = data.length;
  while (length >= 0x80) {
    out.push((length & 0x7f) | 0x80);
    length >>>= 7;
  }
  out.push(length);
  return Buffer.concat([Buffer.from(out), data]);
}
