/**
 * Protobuf message -> the JSON object the JSON path would produce for the same Go value, driven
 * by the declared schemas. Go's generated marshallers write every non-pointer field (even when
 * zero) and pointer fields only when set, while encoding/json omits zero values of `omitempty`
 * fields; so a zero scalar on the wire is kept only when the field is required (no omitempty) or a
 * pointer, and structs are always kept (encoding/json never omits them).
 */
import type { FieldDef, ScalarName, TypeDef, TypeExpr } from '../schema/dsl.js';
import { typeDef } from '../schema/registry.js';
import { ProtobufError, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, WireReader, decodeUtf8, type WireField } from './wire.js';

export type JsonObject = Record<string, unknown>;

const GO_ZERO_TIME_SECONDS = -62135596800n;

/** Decodes one message of the given definition. */
export function decodeMessage(bytes: Uint8Array, definition: string, path = ''): JsonObject {
  const type = typeDef(definition);
  if (!type) throw new ProtobufError(`no protobuf schema for ${definition}`);
  return decodeStruct(bytes, type, path);
}

function decodeStruct(bytes: Uint8Array, type: TypeDef, path: string): JsonObject {
  const byNumber = new Map<number, FieldDef>();
  for (const field of type.fields) if (field.number !== undefined) byNumber.set(field.number, field);
  const values = new Map<FieldDef, unknown>();
  for (const wire of WireReader.fields(bytes)) {
    const field = byNumber.get(wire.number);
    if (!field) continue; // a field newer than our schema: ignored, as proto readers do
    const at = field.inline ? path : join(path, field.name);
    try {
      if (field.type.kind === 'list') {
        const list = (values.get(field) as unknown[] | undefined) ?? [];
        appendListItems(list, wire, field.type.items, at);
        values.set(field, list);
      } else if (field.type.kind === 'map') {
        const map = (values.get(field) as JsonObject | undefined) ?? {};
        const [key, value] = decodeMapEntry(wire, field.type.values, at);
        map[key] = value;
        values.set(field, map);
      } else {
        values.set(field, decodeValue(wire, field.type, at));
      }
    } catch (error) {
      if (error instanceof ProtobufError && !error.message.startsWith('field ')) {
        throw new ProtobufError(`field "${at || field.name}": ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
  const out: JsonObject = {};
  for (const field of type.fields) {
    if (!values.has(field)) {
      // A Go slice, map or pointer without omitempty, left nil, is `null` in encoding/json.
      const emitsNil = field.required || (field.pointer && field.type.kind !== 'scalar');
      if (emitsNil && !field.inline && field.number !== undefined) out[field.name] = null;
      continue;
    }
    const value = values.get(field);
    if (field.inline) {
      Object.assign(out, value as JsonObject);
      continue;
    }
    if (value === undefined) continue;
    if (field.type.kind === 'scalar' && isZero(value) && !field.required && !field.pointer && !keepsZero(field.type.name)) continue;
    out[field.name] = value;
  }
  return out;
}

/** Scalars encoded as messages keep their JSON form even when "zero" (a null time, "0" quantity). */
function keepsZero(name: ScalarName): boolean {
  return name === 'time' || name === 'microtime' || name === 'quantity' || name === 'intstr' || name === 'duration';
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function appendListItems(list: unknown[], wire: WireField, items: TypeExpr, path: string): void {
  if (items.kind === 'scalar' && wire.wireType === WIRE_BYTES && isPackable(items.name)) {
    // Packed repeated numbers: one length-delimited run of values.
    const reader = new WireReader(wire.bytes as Uint8Array);
    while (!reader.done) {
      if (items.name === 'double') list.push(Buffer.from(reader.take(8)).readDoubleLE(0));
      else if (items.name === 'float') list.push(Buffer.from(reader.take(4)).readFloatLE(0));
      else list.push(varintScalar(reader.varint(), items.name));
    }
    return;
  }
  list.push(decodeValue(wire, items, `${path}[${list.length}]`));
}

function isPackable(name: ScalarName): boolean {
  return ['bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float'].includes(name);
}

function decodeMapEntry(wire: WireField, values: TypeExpr, path: string): [string, unknown] {
  const bytes = expectBytes(wire);
  let key = '';
  let value: unknown;
  for (const part of WireReader.fields(bytes)) {
    if (part.number === 1) key = decodeUtf8(expectBytes(part));
    else if (part.number === 2) value = decodeValue(part, values, `${path}.${key}`);
  }
  return [key, value ?? zeroOf(values)];
}

function zeroOf(type: TypeExpr): unknown {
  if (type.kind === 'ref') return {};
  if (type.kind === 'list') return [];
  if (type.kind === 'map') return {};
  switch (type.name) {
    case 'string':
    case 'bytes':
    case 'quantity':
      return type.name === 'quantity' ? '0' : '';
    case 'bool':
      return false;
    default:
      return type.name.startsWith('int') || type.name.startsWith('uint') || type.name === 'double' || type.name === 'float'
        ? 0
        : null;
  }
}

function expectBytes(wire: WireField): Uint8Array {
  if (wire.wireType !== WIRE_BYTES || !wire.bytes) throw new ProtobufError(`expected a length-delimited field, got wire type ${wire.wireType}`);
  return wire.bytes;
}

function decodeValue(wire: WireField, type: TypeExpr, path: string): unknown {
  if (type.kind === 'ref') return decodeMessage(expectBytes(wire), type.definition, path);
  if (type.kind !== 'scalar') throw new ProtobufError('nested lists and maps have no protobuf form');
  const name = type.name;
  switch (name) {
    case 'bool':
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      if (wire.wireType !== WIRE_VARINT || wire.varint === undefined) throw new ProtobufError(`expected a varint, got wire type ${wire.wireType}`);
      return varintScalar(wire.varint, name);
    case 'double':
      if (wire.wireType !== WIRE_FIXED64) throw new ProtobufError(`expected a 64-bit number, got wire type ${wire.wireType}`);
      return Buffer.from(wire.bytes as Uint8Array).readDoubleLE(0);
    case 'float':
      if (wire.wireType !== WIRE_FIXED32) throw new ProtobufError(`expected a 32-bit number, got wire type ${wire.wireType}`);
      return Buffer.from(wire.bytes as Uint8Array).readFloatLE(0);
    case 'string':
      return decodeUtf8(expectBytes(wire));
    case 'bytes':
      return Buffer.from(expectBytes(wire)).toString('base64');
    default:
      return decodeSpecial(expectBytes(wire), name);
  }
}

function varintScalar(value: bigint, name: ScalarName): number | boolean {
  switch (name) {
    case 'bool':
      return value !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, value));
    case 'uint32':
      return Number(BigInt.asUintN(32, value));
    case 'uint64':
      return Number(BigInt.asUintN(64, value));
    default:
      return Number(BigInt.asIntN(64, value));
  }
}

/** The apimachinery types whose protobuf form is a message but whose JSON form is a scalar. */
function decodeSpecial(bytes: Uint8Array, name: ScalarName): unknown {
  const fields = WireReader.fields(bytes);
  const varint = (no: number): bigint => fields.find((f) => f.number === no && f.wireType === WIRE_VARINT)?.varint ?? 0n;
  const data = (no: number): Uint8Array | undefined => fields.find((f) => f.number === no && f.wireType === WIRE_BYTES)?.bytes;
  switch (name) {
    case 'quantity': {
      const text = data(1);
      return text ? decodeUtf8(text) : '0';
    }
    case 'intstr': {
      // IntOrString: type 1 (0 = int, 1 = string), intVal 2, strVal 3.
      if (varint(1) === 1n) {
        const text = data(3);
        return text ? decodeUtf8(text) : '';
      }
      return Number(BigInt.asIntN(32, varint(2)));
    }
    case 'time':
    case 'microtime':
      // Go writes a zero time as an empty message; encoding/json writes it as null.
      if (bytes.length === 0) return null;
      return formatTime(BigInt.asIntN(64, varint(1)), Number(BigInt.asIntN(32, varint(2))), name === 'microtime');
    case 'duration':
      return formatDuration(BigInt.asIntN(64, varint(1)));
    case 'raw':
    case 'fieldsv1':
    case 'json': {
      const raw = data(1);
      if (!raw || raw.length === 0) return undefined;
      try {
        return JSON.parse(decodeUtf8(raw)) as unknown;
      } catch (error) {
        throw new ProtobufError('embedded object is not JSON (nested protobuf objects are not supported)', { cause: error });
      }
    }
    default:
      throw new ProtobufError(`no protobuf form for ${name}`);
  }
}

/** metav1.Time is RFC 3339 at second precision; MicroTime keeps microseconds; zero is null. */
function formatTime(seconds: bigint, nanos: number, micro: boolean): string | null {
  if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return null;
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime()) || nanos < 0 || nanos > 999_999_999) throw new ProtobufError(`time ${seconds}s ${nanos}ns is out of range`);
  const iso = date.toISOString().slice(0, 19);
  if (!micro) return `${iso}Z`;
  return `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** Go's time.Duration.String(): "1h2m3.5s", "150ms", "0s". */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const negative = ns < 0n;
  let rest = negative ? -ns : ns;
  const sign = negative ? '-' : '';
  const fraction = (value: bigint, unit: bigint): string => {
    const whole = value / unit;
    const frac = (value % unit).toString().padStart(unit.toString().length - 1, '0').replace(/0+$/, '');
    return frac ? `${whole}.${frac}` : `${whole}`;
  };
  if (rest < 1000n) return `${sign}${rest}ns`;
  if (rest < 1_000_000n) return `${sign}${fraction(rest, 1000n)}µs`;
  if (rest < 1_000_000_000n) return `${sign}${fraction(rest, 1_000_000n)}ms`;
  const hours = rest / 3_600_000_000_000n;
  rest %= 3_600_000_000_000n;
  const minutes = rest / 60_000_000_000n;
  rest %= 60_000_000_000n;
  const secs = fraction(rest, 1_000_000_000n);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${secs}s`;
  if (minutes > 0n) return `${sign}${minutes}m${secs}s`;
  return `${sign}${secs}s`;
}
