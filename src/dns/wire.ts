/**
 * The DNS message format (RFC 1035, with AAAA from RFC 3596, SRV from RFC 2782 and the EDNS(0)
 * OPT pseudo-record from RFC 6891): decode a message, encode one with name compression. Only the
 * record types cluster DNS answers are given structure; any other type keeps its raw bytes, so a
 * message always round-trips.
 *
 * Hand-written rather than a package: the format is small and stable, the server needs only
 * this subset, and owning it keeps truncation and compression under our control.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const OPCODE_QUERY = 0;

export type RecordData =
  | { readonly type: typeof TYPE.A | typeof TYPE.AAAA; readonly address: string }
  | { readonly type: typeof TYPE.CNAME | typeof TYPE.PTR | typeof TYPE.NS; readonly target: string }
  | { readonly type: typeof TYPE.SRV; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  | { readonly type: typeof TYPE.SOA; readonly mname: string; readonly rname: string; readonly serial: number; readonly refresh: number; readonly retry: number; readonly expire: number; readonly minimum: number }
  | { readonly type: typeof TYPE.TXT; readonly texts: readonly string[] }
  | { readonly type: number; readonly raw: Buffer };

export interface ResourceRecord {
  /** Lower-case, without the trailing dot ("" is the root). */
  readonly name: string;
  /** For OPT: the requester's UDP payload size. */
  readonly class: number;
  /** For OPT: extended rcode, version and flags. */
  readonly ttl: number;
  readonly data: RecordData;
}

export interface Question {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface Flags {
  readonly response: boolean;
  readonly opcode: number;
  readonly authoritative: boolean;
  readonly truncated: boolean;
  readonly recursionDesired: boolean;
  readonly recursionAvailable: boolean;
  readonly rcode: number;
}

export interface Message extends Flags {
  readonly id: number;
  readonly questions: readonly Question[];
  readonly answers: readonly ResourceRecord[];
  readonly authorities: readonly ResourceRecord[];
  readonly additionals: readonly ResourceRecord[];
}

export class WireError extends Error {
  override readonly name = 'WireError';
}

const MAX_POINTER_HOPS = 64;

/** A name as the wire keeps it: lower-cased, no trailing dot. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let next = -1;
  let hops = 0;
  let length = 0;
  for (;;) {
    if (offset >= buf.length) throw new WireError('name runs past the end of the message');
    const len = buf[offset]!;
    if ((len & 0xc0) === 0xc0) {
      if (offset + 1 >= buf.length) throw new WireError('truncated compression pointer');
      if (++hops > MAX_POINTER_HOPS) throw new WireError('compression pointer loop');
      if (next < 0) next = offset + 2;
      offset = ((len & 0x3f) << 8) | buf[offset + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new WireError(`unsupported label type 0x${len.toString(16)}`);
    offset++;
    if (len === 0) break;
    if (offset + len > buf.length) throw new WireError('label runs past the end of the message');
    length += len + 1;
    if (length > 255) throw new WireError('name longer than 255 octets');
    labels.push(buf.toString('latin1', offset, offset + len).toLowerCase());
    offset += len;
  }
  return { name: labels.join('.'), next: next < 0 ? offset : next };
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    const b = ipv4Bytes(v4[1]!);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    text = text.slice(0, -v4[1]!.length);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head = '', rest] = text.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = parse(head);
  const r = rest === undefined ? [] : parse(rest);
  const groups = [...h, ...new Array<number>(8 - h.length - r.length - tail.length).fill(0), ...r, ...tail].slice(0, 8);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function formatIpv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  // The longest run of zero groups (two or more) becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function readRecord(buf: Buffer, start: number): { record: ResourceRecord; next: number } {
  const { name, next: afterName } = readName(buf, start);
  if (afterName + 10 > buf.length) throw new WireError('record header runs past the end of the message');
  const type = buf.readUInt16BE(afterName);
  const klass = buf.readUInt16BE(afterName + 2);
  const ttl = buf.readUInt32BE(afterName + 4);
  const rdlength = buf.readUInt16BE(afterName + 8);
  const at = afterName + 10;
  const end = at + rdlength;
  if (end > buf.length) throw new WireError('record data runs past the end of the message');
  const rdata = buf.subarray(at, end);
  let data: RecordData;
  switch (type) {
    case TYPE.A:
      if (rdlength !== 4) throw new WireError('A record data is not 4 octets');
      data = { type, address: [...rdata].join('.') };
      break;
    case TYPE.AAAA:
      if (rdlength !== 16) throw new WireError('AAAA record data is not 16 octets');
      data = { type, address: formatIpv6(rdata) };
      break;
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.NS:
      data = { type, target: readName(buf, at).name };
      break;
    case TYPE.SRV:
      if (rdlength < 7) throw new WireError('SRV record data too short');
      data = { type, priority: buf.readUInt16BE(at), weight: buf.readUInt16BE(at + 2), port: buf.readUInt16BE(at + 4), target: readName(buf, at + 6).name };
      break;
    case TYPE.SOA: {
      const m = readName(buf, at);
      const r = readName(buf, m.next);
      const o = r.next;
      if (o + 20 > end) throw new WireError('SOA record data too short');
      data = { type, mname: m.name, rname: r.name, serial: buf.readUInt32BE(o), refresh: buf.readUInt32BE(o + 4), retry: buf.readUInt32BE(o + 8), expire: buf.readUInt32BE(o + 12), minimum: buf.readUInt32BE(o + 16) };
      break;
    }
    case TYPE.TXT: {
      const texts: string[] = [];
      for (let o = 0; o < rdata.length; ) {
        const len = rdata[o]!;
        texts.push(rdata.toString('utf8', o + 1, o + 1 + len));
        o += 1 + len;
      }
      data = { type, texts };
      break;
    }
    default:
      data = { type, raw: Buffer.from(rdata) };
  }
  return { record: { name, class: klass, ttl, data }, next: end };
}

/** Decodes a whole message; throws WireError on malformed input. */
export function decode(buf: Buffer): Message {
  if (buf.length < 12) throw new WireError('message shorter than its 12-octet header');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  let offset = 12;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, next } = readName(buf, offset);
    if (next + 4 > buf.length) throw new WireError('question runs past the end of the message');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    offset = next + 4;
  }
  const sections: ResourceRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const { record, next } = readRecord(buf, offset);
      sections[s]!.push(record);
      offset = next;
    }
  }
  return {
    id,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
  };
}

/** Writes a message, compressing names against earlier ones. */
class Writer {
  private buf = Buffer.alloc(512);
  private length = 0;
  private readonly names = new Map<string, number>();

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  get offset(): number {
    return this.length;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.length);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }

  name(name: string): void {
    const labels = normalizeName(name).split('.').filter((l) => l !== '');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.');
      const known = this.names.get(suffix);
      if (known !== undefined) {
        this.u16(0xc000 | known);
        return;
      }
      if (this.length < 0x4000) this.names.set(suffix, this.length);
      const label = Buffer.from(labels[i]!, 'latin1');
      if (label.length > 63) throw new WireError(`label "${labels[i]!}" longer than 63 octets`);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function writeRecord(w: Writer, r: ResourceRecord): void {
  w.name(r.name);
  w.u16(r.data.type);
  w.u16(r.class);
  w.u32(r.ttl);
  const lengthAt = w.offset;
  w.u16(0);
  const start = w.offset;
  const d = r.data;
  if ('address' in d) {
    if (d.type === TYPE.A) {
      if (!isIPv4(d.address)) throw new WireError(`"${d.address}" is not an IPv4 address`);
      w.bytes(ipv4Bytes(d.address));
    } else {
      if (!isIPv6(d.address)) throw new WireError(`"${d.address}" is not an IPv6 address`);
      w.bytes(ipv6Bytes(d.address));
    }
  } else if ('priority' in d) {
    w.u16(d.priority);
    w.u16(d.weight);
    w.u16(d.port);
    w.name(d.target);
  } else if ('target' in d) {
    w.name(d.target);
  } else if ('mname' in d) {
    w.name(d.mname);
    w.name(d.rname);
    for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v);
  } else if ('texts' in d) {
    for (const t of d.texts) {
      const b = Buffer.from(t, 'utf8').subarray(0, 255);
      w.u8(b.length);
      w.bytes(b);
    }
  } else {
    w.bytes(d.raw);
  }
  w.setU16(lengthAt, w.offset - start);
}

export function encode(m: Message): Buffer {
  const w = new Writer();
  w.u16(m.id);
  w.u16(
    (m.response ? 0x8000 : 0) |
      ((m.opcode & 0xf) << 11) |
      (m.authoritative ? 0x0400 : 0) |
      (m.truncated ? 0x0200 : 0) |
      (m.recursionDesired ? 0x0100 : 0) |
      (m.recursionAvailable ? 0x0080 : 0) |
      (m.rcode & 0xf),
  );
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) writeRecord(w, r);
  return w.done();
}

/** A query message, as a stub resolver sends it. */
export function query(id: number, name: string, type: number, options: { udpSize?: number } = {}): Message {
  return {
    id,
    response: false,
    opcode: OPCODE_QUERY,
    authoritative: false,
    truncated: false,
    recursionDesired: true,
    recursionAvailable: false,
    rcode: RCODE.NOERROR,
    questions: [{ name: normalizeName(name), type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: options.udpSize ? [optRecord(options.udpSize)] : [],
  };
}

export function optRecord(udpSize: number): ResourceRecord {
  return { name: '', class: udpSize, ttl: 0, data: { type: TYPE.OPT, raw: Buffer.alloc(0) } };
}

/** The largest UDP answer the requester accepts: 512, or more when it says so with EDNS(0). */
export function udpLimit(request: Message): number {
  const opt = request.additionals.find((r) => r.data.type === TYPE.OPT);
  return opt ? Math.min(Math.max(opt.class, 512), 65535) : 512;
}

/** Encodes `response` for UDP within `limit` octets: when too big, the answer is dropped and TC set, so the client retries over TCP. */
export function encodeForUdp(response: Message, limit: number): Buffer {
  const full = encode(response);
  if (full.length <= limit) return full;
  const opt = response.additionals.filter((r) => r.data.type === TYPE.OPT);
  return encode({ ...response, truncated: true, answers: [], authorities: [], additionals: opt });
}

/** The type's mnemonic for logs ("A", "SRV", or "TYPE99"). */
export function typeName(type: number): string {
  for (const [name, value] of Object.entries(TYPE)) if (value === type) return name;
  return `TYPE${type}`;
}
