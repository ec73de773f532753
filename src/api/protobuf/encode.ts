/**
 * JSON object -> protobuf message, the inverse of decode.ts, for responses to clients that
 * Accept application/vnd.kubernetes.protobuf. Fields absent or null in JSON are left out (Go's
 * nil); map entries are written in sorted key order, as Go's generated marshallers do.
 */
import type { FieldDef, ScalarName, TypeDef, TypeExpr } from '../schema/dsl.js';
import { typeDef } from '../schema/registry.js';
import { ProtobufError, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT } from './wire.js';

/** A growable byte buffer with the protobuf primitives. */
class Writer {
  #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  bytes(data: Uint8Array): void {
    this.#chunks.push(data);
    this.#length += data.length;
  }

  varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.bytes(Uint8Array.from(out));
  }

  key(number: number, wireType: number): void {
    this.varint(BigInt(number * 8 + wireType));
  }

  delimited(number: number, data: Uint8Array): void {
    this.key(number, WIRE_BYTES);
    this.varint(BigInt(data.length));
    this.bytes(data);
  }

  finish(): Uint8Array {
    return Buffer.concat(this.#chunks, this.#length);
  }
}

const utf8 = new TextEncoder();

export function encodeMessage(object: unknown, definition: string, path = ''): Uint8Array {
  const type = typeDef(definition);
  if (!type) throw new ProtobufError(`no protobuf schema for ${definition}`);
  if (!isObject(object)) throw new ProtobufError(`${path || 'object'}: expected an object for ${type.name}`);
  return encodeStruct(object, type, path);
}

function encodeStruct(object: Record<string, unknown>, type: TypeDef, path: string): Uint8Array {
  const w = new Writer();
  for (const field of type.fields) {
    if (field.number === undefined) continue;
    if (field.inline && field.type.kind === 'ref') {
      w.delimited(field.number, encodeMessage(object, field.type.definition, path));
      continue;
    }
    const value = object[field.name];
    if (value === null && field.type.kind === 'scalar' && (field.type.name === 'time' || field.type.name === 'microtime')) {
      // A zero Go time is null in JSON and an empty message on the wire.
      w.delimited(field.number, new Uint8Array());
      continue;
    }
    if (value === undefined || value === null) continue;
    writeField(w, field, value, join(path, field.name));
  }
  return w.finish();
}

function writeField(w: Writer, field: FieldDef, value: unknown, path: string): void {
  const number = field.number as number;
  const type = field.type;
  if (type.kind === 'list') {
    if (!Array.isArray(value)) throw new ProtobufError(`${path}: expected a list`);
    value.forEach((item, i) => {
      if (item !== null && item !== undefined) writeValue(w, number, type.items, item, `${path}[${i}]`);
    });
  } else if (type.kind === 'map') {
    if (!isObject(value)) throw new ProtobufError(`${path}: expected a map`);
    for (const key of Object.keys(value).sort()) {
      const entry = new Writer();
      entry.delimited(1, utf8.encode(key));
      const item = value[key];
      if (item !== null && item !== undefined) writeValue(entry, 2, type.values, item, `${path}.${key}`);
      w.delimited(number, entry.finish());
    }
  } else {
    writeValue(w, number, type, value, path);
  }
}

function writeValue(w: Writer, number: number, type: TypeExpr, value: unknown, path: string): void {
  if (type.kind === 'ref') {
    w.delimited(number, encodeMessage(value, type.definition, path));
    return;
  }
  if (type.kind !== 'scalar') throw new ProtobufError(`${path}: nested lists and maps have no protobuf form`);
  const name = type.name;
  switch (name) {
    case 'bool':
      w.key(number, WIRE_VARINT);
      w.varint(value === true ? 1n : 0n);
      return;
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      w.key(number, WIRE_VARINT);
      w.varint(BigInt(integer(value, path)));
      return;
    case 'double': {
      const buf = Buffer.alloc(8);
      buf.writeDoubleLE(number_(value, path));
      w.key(number, WIRE_FIXED64);
      w.bytes(buf);
      return;
    }
    case 'float': {
      const buf = Buffer.alloc(4);
      buf.writeFloatLE(number_(value, path));
      w.key(number, WIRE_FIXED32);
      w.bytes(buf);
      return;
    }
    case 'string':
      w.delimited(number, utf8.encode(string(value, path)));
      return;
    case 'bytes':
      w.delimited(number, Buffer.from(string(value, path), 'base64'));
      return;
    default:
      w.delimited(number, encodeSpecial(value, name, path));
  }
}

function encodeSpecial(value: unknown, name: ScalarName, path: string): Uint8Array {
  const w = new Writer();
  switch (name) {
    case 'quantity':
      w.delimited(1, utf8.encode(typeof value === 'number' ? String(value) : string(value, path)));
      break;
    case 'intstr':
      if (typeof value === 'number') {
        w.key(1, WIRE_VARINT);
        w.varint(0n);
        w.key(2, WIRE_VARINT);
        w.varint(BigInt(integer(value, path)));
      } else {
        w.key(1, WIRE_VARINT);
        w.varint(1n);
        w.delimited(3, utf8.encode(string(value, path)));
      }
      break;
    case 'time':
    case 'microtime': {
      const text = string(value, path);
      const ms = Date.parse(text);
      if (Number.isNaN(ms)) throw new ProtobufError(`${path}: "${text}" is not an RFC 3339 time`);
      const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
      const seconds = Math.floor(ms / 1000);
      const nanos = fraction ? Number(fraction.padEnd(9, '0').slice(0, 9)) : 0;
      w.key(1, WIRE_VARINT);
      w.varint(BigInt(seconds));
      if (nanos) {
        w.key(2, WIRE_VARINT);
        w.varint(BigInt(nanos));
      }
      break;
    }
    case 'duration':
      w.key(1, WIRE_VARINT);
      w.varint(parseDuration(string(value, path), path));
      break;
    case 'raw':
    case 'fieldsv1':
    case 'json':
      w.delimited(1, utf8.encode(JSON.stringify(value)));
      break;
    default:
      throw new ProtobufError(`${path}: no protobuf form for ${name}`);
  }
  return w.finish();
}

const UNITS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, for the forms metav1.Duration carries ("1h2m3.5s", "150ms"). */
export function parseDuration(text: string, path = 'duration'): bigint {
  const match = /^([-+]?)((?:\d+(?:\.\d*)?(?:ns|us|µs|ms|s|m|h))+|0)$/.exec(text);
  if (!match) throw new ProtobufError(`${path}: "${text}" is not a duration`);
  let total = 0;
  for (const part of (match[2] ?? '').matchAll(/(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * (UNITS[part[2] ?? 's'] ?? 0);
  return BigInt(Math.round(match[1] === '-' ? -total : total));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function integer(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ProtobufError(`${path}: expected an integer`);
  return value;
}

function number_(value: unknown, path: string): number {
  if (typeof value !== 'number') throw new ProtobufError(`${path}: expected a number`);
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ProtobufError(`${path}: expected a string`);
  return value;
}
