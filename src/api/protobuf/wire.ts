/**
 * Protobuf wire format reading: varints (64-bit safe), fixed 32/64, length-delimited slices.
 * Every read is bounds-checked; malformed input throws ProtobufError with the byte offset.
 */

export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export interface WireField {
  readonly number: number;
  readonly wireType: number;
  /** Varint as a bigint (exact for all 64 bits), for varint fields. */
  readonly varint?: bigint;
  /** The payload for length-delimited and fixed-size fields. */
  readonly bytes?: Uint8Array;
}

export class WireReader {
  #pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.#pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.buf.length) throw new ProtobufError(`truncated varint at byte ${this.#pos}`);
      const byte = this.buf[this.#pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
    throw new ProtobufError(`varint longer than 10 bytes at byte ${this.#pos}`);
  }

  take(length: number): Uint8Array {
    if (length < 0 || this.#pos + length > this.buf.length) {
      throw new ProtobufError(`field of ${length} bytes at byte ${this.#pos} runs past the end of the message`);
    }
    const out = this.buf.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return out;
  }

  next(): WireField {
    const at = this.#pos;
    const key = this.varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number < 1 || number > 536_870_911) throw new ProtobufError(`invalid field number ${number} at byte ${at}`);
    switch (wireType) {
      case WIRE_VARINT:
        return { number, wireType, varint: this.varint() };
      case WIRE_FIXED64:
        return { number, wireType, bytes: this.take(8) };
      case WIRE_BYTES: {
        const length = this.varint();
        if (length > BigInt(this.buf.length)) throw new ProtobufError(`field length ${length} at byte ${at} exceeds the message`);
        return { number, wireType, bytes: this.take(Number(length)) };
      }
      case WIRE_FIXED32:
        return { number, wireType, bytes: this.take(4) };
      default:
        throw new ProtobufError(`unsupported wire type ${wireType} at byte ${at}`);
    }
  }

  /** All fields of the message, in wire order. */
  static fields(buf: Uint8Array): WireField[] {
    const reader = new WireReader(buf);
    const out: WireField[] = [];
    while (!reader.done) out.push(reader.next());
    return out;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new ProtobufError('string field is not valid UTF-8', { cause: error });
  }
}
