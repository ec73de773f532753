/**
 * Just enough DER (X.690) to write and read the X.509 certificates k3s makes: TLV encoding of
 * the handful of ASN.1 types a certificate uses, and a reader that walks a certificate's TBS
 * fields. Hand-written because the general ASN.1 library it replaces cost ~250 ms of CPU at
 * every server start (module set-up plus schema-driven encoding); signatures and parsing of
 * untrusted input stay with node:crypto (sign, X509Certificate).
 */

export function tlv(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else {
    const len: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    head = [tag, 0x80 | len.length, ...len];
  }
  return Buffer.concat([Buffer.from(head), body]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octetString = (bytes: Uint8Array): Buffer => tlv(0x04, bytes);
export const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));
/** Context-specific constructed tag [n] (EXPLICIT wrapping). */
export const explicit = (n: number, body: Uint8Array): Buffer => tlv(0xa0 | n, body);
/** Context-specific primitive tag [n] (IMPLICIT over a primitive type). */
export const implicit = (n: number, body: Uint8Array): Buffer => tlv(0x80 | n, body);

/** A non-negative INTEGER from big-endian magnitude bytes. */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function smallInteger(value: number): Buffer {
  return unsignedInteger(Buffer.from([value]));
}

/** BIT STRING of whole bytes (signatures, key bits). */
export const bitString = (bytes: Uint8Array): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));

/** BIT STRING of named bits (bit 0 = most significant bit of the first byte), DER-minimal. */
export function namedBits(bits: readonly number[]): Buffer {
  const max = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(max / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (max & 7);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5), second precision. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  return year < 2050 && year >= 1950 ? tlv(0x17, Buffer.from(digits.slice(2) + 'Z')) : tlv(0x18, Buffer.from(digits + 'Z'));
}

export interface Element {
  readonly tag: number;
  /** The whole TLV. */
  readonly raw: Buffer;
  /** The value bytes. */
  readonly body: Buffer;
}

/** The TLV elements in `bytes`, in order; throws on truncated or indefinite-length input. */
export function children(bytes: Buffer): Element[] {
  const out: Element[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at]!;
    if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not used in certificates');
    let len = bytes[at + 1];
    let head = 2;
    if (len === undefined) throw new Error('DER: truncated element');
    if (len & 0x80) {
      const count = len & 0x7f;
      if (count === 0 || count > 4) throw new Error('DER: unsupported length');
      len = 0;
      for (let i = 0; i < count; i++) len = len * 256 + bytes[at + 2 + i]!;
      head += count;
    }
    const end = at + head + len;
    if (end > bytes.length) throw new Error('DER: truncated element');
    out.push({ tag, raw: bytes.subarray(at, end), body: bytes.subarray(at + head, end) });
    at = end;
  }
  return out;
}

export function oidText(body: Buffer): string {
  const parts = [Math.floor(body[0]! / 40), body[0]! % 40];
  let value = 0;
  for (const byte of body.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** The fields of a certificate's TBSCertificate this product reads. */
export interface TbsFields {
  /** The subject Name exactly as encoded (a leaf's issuer must repeat it byte for byte). */
  readonly subjectDer: Buffer;
  /** Attribute values of the subject by OID (2.5.4.3 CN, 2.5.4.10 O), in order. */
  readonly subject: ReadonlyMap<string, string[]>;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subjectPublicKey BIT STRING's key bytes. */
  readonly publicKeyBits: Buffer;
  /** Extension values (the OCTET STRING contents) by OID. */
  readonly extensions: ReadonlyMap<string, Buffer>;
}

export function readTbs(certDer: Buffer): TbsFields {
  const [cert] = children(certDer);
  const [tbs] = children(cert!.body);
  const fields = children(tbs!.body);
  // version [0] is optional (v1 certificates omit it).
  const f = fields[0]!.tag === 0xa0 ? fields.slice(1) : fields;
  const [, , , validity, subjectName, spki, ...rest] = f;
  if (!validity || !subjectName || !spki) throw new Error('DER: not a certificate');
  const subject = new Map<string, string[]>();
  for (const rdn of children(subjectName.body)) {
    for (const attribute of children(rdn.body)) {
      const [type, value] = children(attribute.body);
      const key = oidText(type!.body);
      subject.set(key, [...(subject.get(key) ?? []), value!.body.toString('utf8')]);
    }
  }
  const [notBefore, notAfter] = children(validity.body).map((t) => parseTime(t));
  const [, keyBits] = children(spki.body);
  const extensions = new Map<string, Buffer>();
  const extBlock = rest.find((e) => e.tag === 0xa3);
  if (extBlock) {
    for (const ext of children(children(extBlock.body)[0]!.body)) {
      const parts = children(ext.body);
      extensions.set(oidText(parts[0]!.body), parts[parts.length - 1]!.body);
    }
  }
  return { subjectDer: Buffer.from(subjectName.raw), subject, notBefore: notBefore!, notAfter: notAfter!, publicKeyBits: keyBits!.body.subarray(1), extensions };
}

function parseTime(element: Element): Date {
  const text = element.body.toString('latin1');
  const full = element.tag === 0x17 ? `${Number(text.slice(0, 2)) < 50 ? '20' : '19'}${text}` : text;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
  if (!m) throw new Error(`DER: unsupported time ${text}`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}
