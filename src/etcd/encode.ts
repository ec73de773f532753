/**
 * A direct protobuf encoder for RangeResponse, the one message that gets big (a list of 10k
 * keys is ~10 MiB): sizes first, then one buffer written in place, several times faster than
 * the generic reflection-based encoder. Wire format per etcd's rpc.proto / kv.proto; proto3, so
 * zero values are left out. Checked against the generic encoder in the unit tests.
 */
import type { RangeResponse, ResponseHeader, WireKeyValue } from './messages.js';

const LEN = 2; // wire type: length-delimited
const VARINT = 0;

function varintSize(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  if (n < 0) {
    // Negative int64: ten bytes of two's complement.
    let big = BigInt.asUintN(64, BigInt(n));
    while (big >= 128n) {
      buf[pos++] = Number(big & 127n) | 128;
      big >>= 7n;
    }
    buf[pos++] = Number(big);
    return pos;
  }
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

const numberField = (n: number): number => (n === 0 ? 0 : 1 + varintSize(n));
const bytesField = (b: Uint8Array): number => (b.length === 0 ? 0 : 1 + varintSize(b.length) + b.length);

function headerSize(h: ResponseHeader): number {
  return numberField(h.cluster_id) + numberField(h.member_id) + numberField(h.revision) + numberField(h.raft_term);
}

function kvSize(kv: WireKeyValue): number {
  return bytesField(kv.key) + numberField(kv.create_revision) + numberField(kv.mod_revision) + numberField(kv.version) + bytesField(kv.value) + numberField(kv.lease);
}

function writeNumber(buf: Buffer, pos: number, field: number, n: number): number {
  if (n === 0) return pos;
  buf[pos++] = (field << 3) | VARINT;
  return writeVarint(buf, pos, n);
}

function writeBytes(buf: Buffer, pos: number, field: number, b: Uint8Array): number {
  if (b.length === 0) return pos;
  buf[pos++] = (field << 3) | LEN;
  pos = writeVarint(buf, pos, b.length);
  buf.set(b, pos);
  return pos + b.length;
}

export function encodeRangeResponse(res: RangeResponse): Buffer {
  const hSize = headerSize(res.header);
  const kvSizes = res.kvs.map(kvSize);
  let total = 1 + varintSize(hSize) + hSize;
  for (const s of kvSizes) total += 1 + varintSize(s) + s;
  if (res.more) total += 2;
  total += numberField(res.count);

  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  buf[pos++] = (1 << 3) | LEN;
  pos = writeVarint(buf, pos, hSize);
  pos = writeNumber(buf, pos, 1, res.header.cluster_id);
  pos = writeNumber(buf, pos, 2, res.header.member_id);
  pos = writeNumber(buf, pos, 3, res.header.revision);
  pos = writeNumber(buf, pos, 4, res.header.raft_term);
  res.kvs.forEach((kv, i) => {
    buf[pos++] = (2 << 3) | LEN;
    pos = writeVarint(buf, pos, kvSizes[i] ?? 0);
    pos = writeBytes(buf, pos, 1, kv.key);
    pos = writeNumber(buf, pos, 2, kv.create_revision);
    pos = writeNumber(buf, pos, 3, kv.mod_revision);
    pos = writeNumber(buf, pos, 4, kv.version);
    pos = writeBytes(buf, pos, 5, kv.value);
    pos = writeNumber(buf, pos, 6, kv.lease);
  });
  if (res.more) {
    buf[pos++] = (3 << 3) | VARINT;
    buf[pos++] = 1;
  }
  pos = writeNumber(buf, pos, 4, res.count);
  if (pos !== total) throw new Error(`internal: RangeResponse encoded ${pos} bytes, sized ${total}`);
  return buf;
}
