/**
 * The swagger 2.0 document in its protobuf form (gnostic openapi.v2.Document), which client-go's
 * OpenAPISchema() asks for (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf)
 * and decodes as protobuf only: kubectl's v2 explain and validation fallback and Helm's
 * validation read it. Vendor extensions, defaults and enums travel as YAML text (Any.yaml).
 */
import { stringify } from 'yaml';
import type { SchemaObject } from './schemas.js';

type Json = Record<string, unknown>;

class Out {
  readonly parts: Buffer[] = [];
  private tag(no: number, wire: number): void {
    this.varint(no * 8 + wire);
  }
  private varint(value: number): void {
    const bytes: number[] = [];
    let v = value;
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
  }
  message(no: number, body: Buffer): void {
    this.tag(no, 2);
    this.varint(body.length);
    this.parts.push(body);
  }
  string(no: number, value: unknown): void {
    if (typeof value === 'string' && value !== '') this.message(no, Buffer.from(value, 'utf8'));
  }
  strings(no: number, values: unknown): void {
    if (Array.isArray(values)) for (const value of values) if (typeof value === 'string') this.message(no, Buffer.from(value, 'utf8'));
  }
  bool(no: number, value: unknown): void {
    if (value !== true) return;
    this.tag(no, 0);
    this.varint(1);
  }
  int(no: number, value: unknown): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) return;
    this.tag(no, 0);
    this.varint(value);
  }
  double(no: number, value: unknown): void {
    if (typeof value !== 'number') return;
    const buf = Buffer.alloc(8);
    buf.writeDoubleLE(value);
    this.tag(no, 1);
    this.parts.push(buf);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** openapi.v2.Any: the value as YAML. */
function any(value: unknown): Buffer {
  const out = new Out();
  out.string(2, stringify(value).trimEnd() + '\n');
  return out.done();
}

/** Repeated NamedAny for every x-* key of an object. */
function vendorExtensions(out: Out, no: number, object: Json): void {
  for (const [name, value] of Object.entries(object)) {
    if (!name.startsWith('x-')) continue;
    const named = new Out();
    named.string(1, name);
    named.message(2, any(value));
    out.message(no, named.done());
  }
}

function named(name: string, value: Buffer): Buffer {
  const out = new Out();
  out.string(1, name);
  out.message(2, value);
  return out.done();
}

export function schema(object: SchemaObject): Buffer {
  const out = new Out();
  out.string(1, object.$ref);
  out.string(2, object.format);
  out.string(3, object.title);
  out.string(4, object.description);
  if (object.default !== undefined) out.message(5, any(object.default));
  out.double(6, object.multipleOf);
  out.double(7, object.maximum);
  out.bool(8, object.exclusiveMaximum);
  out.double(9, object.minimum);
  out.bool(10, object.exclusiveMinimum);
  out.int(11, object.maxLength);
  out.int(12, object.minLength);
  out.string(13, object.pattern);
  out.int(14, object.maxItems);
  out.int(15, object.minItems);
  out.bool(16, object.uniqueItems);
  out.int(17, object.maxProperties);
  out.int(18, object.minProperties);
  out.strings(19, object.required);
  if (Array.isArray(object.enum)) for (const value of object.enum) out.message(20, any(value));
  if (isObject(object.additionalProperties)) {
    const item = new Out();
    item.message(1, schema(object.additionalProperties));
    out.message(21, item.done());
  } else if (typeof object.additionalProperties === 'boolean') {
    const item = new Out();
    item.bool(2, object.additionalProperties);
    out.message(21, item.done());
  }
  if (typeof object.type === 'string') {
    const type = new Out();
    type.string(1, object.type);
    out.message(22, type.done());
  }
  if (isObject(object.items)) {
    const items = new Out();
    items.message(1, schema(object.items));
    out.message(23, items.done());
  }
  if (Array.isArray(object.allOf)) for (const part of object.allOf) if (isObject(part)) out.message(24, schema(part));
  if (isObject(object.properties)) {
    const properties = new Out();
    for (const [name, value] of Object.entries(object.properties)) if (isObject(value)) properties.message(1, named(name, schema(value)));
    out.message(25, properties.done());
  }
  vendorExtensions(out, 31, object);
  return out.done();
}

function parameter(param: Json): Buffer {
  const item = new Out();
  const wrapped = new Out();
  if (param.in === 'body') {
    const body = new Out();
    body.string(1, param.description);
    body.string(2, param.name);
    body.string(3, param.in);
    body.bool(4, param.required);
    if (isObject(param.schema)) body.message(5, schema(param.schema));
    wrapped.message(1, body.done());
  } else {
    const sub = new Out();
    sub.bool(1, param.required);
    sub.string(2, param.in);
    sub.string(3, param.description);
    sub.string(4, param.name);
    if (param.in === 'path') {
      sub.string(5, param.type);
      sub.bool(19, param.uniqueItems);
    } else {
      sub.string(6, param.type);
      sub.bool(20, param.uniqueItems);
    }
    const nonBody = new Out();
    nonBody.message(param.in === 'path' ? 4 : 3, sub.done());
    wrapped.message(2, nonBody.done());
  }
  item.message(1, wrapped.done());
  return item.done();
}

function operation(op: Json): Buffer {
  const out = new Out();
  out.strings(1, op.tags);
  out.string(3, op.description);
  out.string(5, op.operationId);
  out.strings(6, op.produces);
  out.strings(7, op.consumes);
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObject(p)) out.message(8, parameter(p));
  if (isObject(op.responses)) {
    const responses = new Out();
    for (const [code, response] of Object.entries(op.responses)) {
      if (!isObject(response)) continue;
      const body = new Out();
      body.string(1, response.description);
      if (isObject(response.schema)) {
        const item = new Out();
        item.message(1, schema(response.schema));
        body.message(2, item.done());
      }
      const value = new Out();
      value.message(1, body.done());
      responses.message(1, named(code, value.done()));
    }
    out.message(9, responses.done());
  }
  out.strings(10, op.schemes);
  vendorExtensions(out, 13, op);
  return out.done();
}

const METHODS: Readonly<Record<string, number>> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** Encodes a swagger 2.0 JSON document (as OpenApi#v2 builds it) as openapi.v2.Document. */
export function encodeOpenApiV2(document: Json): Buffer {
  const out = new Out();
  out.string(1, document.swagger);
  if (isObject(document.info)) {
    const info = new Out();
    info.string(1, document.info.title);
    info.string(2, document.info.version);
    out.message(2, info.done());
  }
  if (isObject(document.paths)) {
    const paths = new Out();
    for (const [path, item] of Object.entries(document.paths)) {
      if (!isObject(item)) continue;
      const pathItem = new Out();
      for (const [method, no] of Object.entries(METHODS)) if (isObject(item[method])) pathItem.message(no, operation(item[method]));
      if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObject(p)) pathItem.message(9, parameter(p));
      paths.message(2, named(path, pathItem.done()));
    }
    out.message(8, paths.done());
  }
  if (isObject(document.definitions)) {
    const definitions = new Out();
    for (const [name, value] of Object.entries(document.definitions)) if (isObject(value)) definitions.message(1, named(name, schema(value)));
    out.message(9, definitions.done());
  }
  return out.done();
}
