/**
 * HPACK (RFC 7541) for the face's HTTP/2 server: a complete decoder (static and dynamic table,
 * Huffman, table size updates) for the request header blocks clients send, and the one encoding
 * the server needs for its own blocks: literals without indexing, so the client's decoder table
 * is never touched and no encoder state is kept. Names and values are handled as latin1 strings,
 * one character per octet, so lengths are octet counts as HPACK sizes them.
 */

/** RFC 7541 Appendix A: names of the static table, index 1..61 (values in STATIC_VALUES). */
const STATIC_NAMES = [
  ':authority', ':method', ':method', ':path', ':path', ':scheme', ':scheme', ':status', ':status', ':status', ':status', ':status', ':status', ':status',
  'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges', 'accept', 'access-control-allow-origin', 'age', 'allow', 'authorization',
  'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-range', 'content-type',
  'cookie', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'link', 'location', 'max-forwards', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'refresh', 'retry-after', 'server',
  'set-cookie', 'strict-transport-security', 'transfer-encoding', 'user-agent', 'vary', 'via', 'www-authenticate',
];
/** RFC 7541 Appendix B: [code length in bits, code] per byte value 0..255. */
const HUFFMAN_CODES: readonly (readonly [bits: number, code: number])[] = [
  [13, 0x1ff8], [23, 0x7fffd8], [28, 0xfffffe2], [28, 0xfffffe3], [28, 0xfffffe4], [28, 0xfffffe5], [28, 0xfffffe6], [28, 0xfffffe7],
  [28, 0xfffffe8], [24, 0xffffea], [30, 0x3ffffffc], [28, 0xfffffe9], [28, 0xfffffea], [30, 0x3ffffffd], [28, 0xfffffeb], [28, 0xfffffec],
  [28, 0xfffffed], [28, 0xfffffee], [28, 0xfffffef], [28, 0xffffff0], [28, 0xffffff1], [28, 0xffffff2], [30, 0x3ffffffe], [28, 0xffffff3],
  [28, 0xffffff4], [28, 0xffffff5], [28, 0xffffff6], [28, 0xffffff7], [28, 0xffffff8], [28, 0xffffff9], [28, 0xffffffa], [28, 0xffffffb],
  [6, 0x14], [10, 0x3f8], [10, 0x3f9], [12, 0xffa], [13, 0x1ff9], [6, 0x15], [8, 0xf8], [11, 0x7fa],
  [10, 0x3fa], [10, 0x3fb], [8, 0xf9], [11, 0x7fb], [8, 0xfa], [6, 0x16], [6, 0x17], [6, 0x18],
  [5, 0x0], [5, 0x1], [5, 0x2], [6, 0x19], [6, 0x1a], [6, 0x1b], [6, 0x1c], [6, 0x1d],
  [6, 0x1e], [6, 0x1f], [7, 0x5c], [8, 0xfb], [15, 0x7ffc], [6, 0x20], [12, 0xffb], [10, 0x3fc],
  [13, 0x1ffa], [6, 0x21], [7, 0x5d], [7, 0x5e], [7, 0x5f], [7, 0x60], [7, 0x61], [7, 0x62],
  [7, 0x63], [7, 0x64], [7, 0x65], [7, 0x66], [7, 0x67], [7, 0x68], [7, 0x69], [7, 0x6a],
  [7, 0x6b], [7, 0x6c], [7, 0x6d], [7, 0x6e], [7, 0x6f], [7, 0x70], [7, 0x71], [7, 0x72],
  [8, 0xfc], [7, 0x73], [8, 0xfd], [13, 0x1ffb], [19, 0x7fff0], [13, 0x1ffc], [14, 0x3ffc], [6, 0x22],
  [15, 0x7ffd], [5, 0x3], [6, 0x23], [5, 0x4], [6, 0x24], [5, 0x5], [6, 0x25], [6, 0x26],
  [6, 0x27], [5, 0x6], [7, 0x74], [7, 0x75], [6, 0x28], [6, 0x29], [6, 0x2a], [5, 0x7],
  [6, 0x2b], [7, 0x76], [6, 0x2c], [5, 0x8], [5, 0x9], [6, 0x2d], [7, 0x77], [7, 0x78],
  [7, 0x79], [7, 0x7a], [7, 0x7b], [15, 0x7ffe], [11, 0x7fc], [14, 0x3ffd], [13, 0x1ffd], [28, 0xffffffc],
  [20, 0xfffe6], [22, 0x3fffd2], [20, 0xfffe7], [20, 0xfffe8], [22, 0x3fffd3], [22, 0x3fffd4], [22, 0x3fffd5], [23, 0x7fffd9],
  [22, 0x3fffd6], [23, 0x7fffda], [23, 0x7fffdb], [23, 0x7fffdc], [23, 0x7fffdd], [23, 0x7fffde], [24, 0xffffeb], [23, 0x7fffdf],
  [24, 0xffffec], [24, 0xffffed], [22, 0x3fffd7], [23, 0x7fffe0], [24, 0xffffee], [23, 0x7fffe1], [23, 0x7fffe2], [23, 0x7fffe3],
  [23, 0x7fffe4], [21, 0x1fffdc], [22, 0x3fffd8], [23, 0x7fffe5], [22, 0x3fffd9], [23, 0x7fffe6], [23, 0x7fffe7], [24, 0xffffef],
  [22, 0x3fffda], [21, 0x1fffdd], [20, 0xfffe9], [22, 0x3fffdb], [22, 0x3fffdc], [23, 0x7fffe8], [23, 0x7fffe9], [21, 0x1fffde],
  [23, 0x7fffea], [22, 0x3fffdd], [22, 0x3fffde], [24, 0xfffff0], [21, 0x1fffdf], [22, 0x3fffdf], [23, 0x7fffeb], [23, 0x7fffec],
  [21, 0x1fffe0], [21, 0x1fffe1], [22, 0x3fffe0], [21, 0x1fffe2], [23, 0x7fffed], [22, 0x3fffe1], [23, 0x7fffee], [23, 0x7fffef],
  [20, 0xfffea], [22, 0x3fffe2], [22, 0x3fffe3], [22, 0x3fffe4], [23, 0x7ffff0], [22, 0x3fffe5], [22, 0x3fffe6], [23, 0x7ffff1],
  [26, 0x3ffffe0], [26, 0x3ffffe1], [20, 0xfffeb], [19, 0x7fff1], [22, 0x3fffe7], [23, 0x7ffff2], [22, 0x3fffe8], [25, 0x1ffffec],
  [26, 0x3ffffe2], [26, 0x3ffffe3], [26, 0x3ffffe4], [27, 0x7ffffde], [27, 0x7ffffdf], [26, 0x3ffffe5], [24, 0xfffff1], [25, 0x1ffffed],
  [19, 0x7fff2], [21, 0x1fffe3], [26, 0x3ffffe6], [27, 0x7ffffe0], [27, 0x7ffffe1], [26, 0x3ffffe7], [27, 0x7ffffe2], [24, 0xfffff2],
  [21, 0x1fffe4], [21, 0x1fffe5], [26, 0x3ffffe8], [26, 0x3ffffe9], [28, 0xffffffd], [27, 0x7ffffe3], [27, 0x7ffffe4], [27, 0x7ffffe5],
  [20, 0xfffec], [24, 0xfffff3], [20, 0xfffed], [21, 0x1fffe6], [22, 0x3fffe9], [21, 0x1fffe7], [21, 0x1fffe8], [23, 0x7ffff3],
  [22, 0x3fffea], [22, 0x3fffeb], [25, 0x1ffffee], [25, 0x1ffffef], [24, 0xfffff4], [24, 0xfffff5], [26, 0x3ffffea], [23, 0x7ffff4],
  [26, 0x3ffffeb], [27, 0x7ffffe6], [26, 0x3ffffec], [26, 0x3ffffed], [27, 0x7ffffe7], [27, 0x7ffffe8], [27, 0x7ffffe9], [27, 0x7ffffea],
  [27, 0x7ffffeb], [28, 0xffffffe], [27, 0x7ffffec], [27, 0x7ffffed], [27, 0x7ffffee], [27, 0x7ffffef], [27, 0x7fffff0], [26, 0x3ffffee],
];

/** Decoding tables: per code length, code -> byte. */
/**
 * The code is canonical (codes of one length are consecutive, in symbol order), so a code of
 * length L decodes as SORTED[FIRST_INDEX[L] + code - FIRST_CODE[L]] when it falls in that
 * length's run.
 */
const { SORTED, FIRST_CODE, FIRST_INDEX, COUNT } = (() => {
  const order = HUFFMAN_CODES.map(([bits, code], symbol) => ({ bits, code, symbol })).sort((a, b) => a.bits - b.bits || a.code - b.code);
  const first: number[] = [];
  const index: number[] = [];
  const count: number[] = [];
  order.forEach(({ bits, code }, i) => {
    if (count[bits] === undefined) {
      first[bits] = code;
      index[bits] = i;
      count[bits] = 0;
    }
    count[bits] = (count[bits] ?? 0) + 1;
  });
  return { SORTED: order.map((o) => o.symbol), FIRST_CODE: first, FIRST_INDEX: index, COUNT: count };
})();

export class HpackError extends Error {
  override readonly name = 'HpackError';
}

export function huffmanDecode(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil((data.length * 8) / 5));
  let n = 0;
  let code = 0;
  let bits = 0;
  for (const byte of data) {
    for (let i = 7; i >= 0; i--) {
      code = code * 2 + ((byte >> i) & 1);
      bits++;
      const offset = code - (FIRST_CODE[bits] ?? Infinity);
      if (offset >= 0 && offset < (COUNT[bits] ?? 0)) {
        out[n++] = SORTED[(FIRST_INDEX[bits] ?? 0) + offset] ?? 0;
        code = 0;
        bits = 0;
      } else if (bits > 30) {
        throw new HpackError('invalid Huffman code in a header');
      }
    }
  }
  // What is left must be EOS padding: fewer than 8 bits, all ones.
  if (bits > 7 || code !== 2 ** bits - 1) throw new HpackError('invalid Huffman padding in a header');
  return out.subarray(0, n);
}

export function huffmanEncode(text: Uint8Array): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of text) {
    const entry = HUFFMAN_CODES[byte];
    if (!entry) throw new HpackError(`no Huffman code for byte ${byte}`);
    const [length, code] = entry;
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** i) & 1);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Buffer.from(out);
}

/** The values of the static table entries that have one (the rest are empty). */
const STATIC_VALUES: Readonly<Record<number, string>> = {
  2: 'GET', 3: 'POST', 4: '/', 5: '/index.html', 6: 'http', 7: 'https',
  8: '200', 9: '204', 10: '206', 11: '304', 12: '400', 13: '404', 14: '500', 16: 'gzip, deflate',
};

export type HeaderList = [name: string, value: string][];

interface Entry {
  readonly name: string;
  readonly value: string;
  readonly size: number;
}

/** Decodes the header blocks of ONE connection, in the order they arrive. */
export class HpackDecoder {
  readonly #table: Entry[] = [];
  #size = 0;
  #max: number;
  readonly #limit: number;

  /** `maxTableSize`: the SETTINGS_HEADER_TABLE_SIZE this side advertised (HTTP/2 default 4096). */
  constructor(maxTableSize = 4096) {
    this.#max = maxTableSize;
    this.#limit = maxTableSize;
  }

  decode(block: Buffer): HeaderList {
    const headers: HeaderList = [];
    let pos = 0;
    const int = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let value = (block[pos++] ?? 0) & mask;
      if (value < mask) return value;
      let shift = 1;
      for (;;) {
        if (pos >= block.length) throw new HpackError('truncated integer in a header block');
        const b = block[pos++] ?? 0;
        value += (b & 0x7f) * shift;
        shift *= 128;
        if ((b & 0x80) === 0) return value;
        if (shift > 2 ** 28) throw new HpackError('integer too large in a header block');
      }
    };
    const string = (): string => {
      if (pos >= block.length) throw new HpackError('truncated string in a header block');
      const huffman = ((block[pos] ?? 0) & 0x80) !== 0;
      const length = int(7);
      const end = pos + length;
      if (end > block.length) throw new HpackError('truncated string in a header block');
      const raw = block.subarray(pos, end);
      pos = end;
      return (huffman ? huffmanDecode(raw) : raw).toString('latin1');
    };
    const entry = (index: number): { name: string; value: string } => {
      if (index >= 1 && index <= STATIC_NAMES.length) return { name: STATIC_NAMES[index - 1] ?? '', value: STATIC_VALUES[index] ?? '' };
      const e = this.#table[index - STATIC_NAMES.length - 1];
      if (!e) throw new HpackError(`header index ${index} is not in the table`);
      return e;
    };
    let fieldSeen = false;
    while (pos < block.length) {
      const first = block[pos] ?? 0;
      if (first & 0x80) {
        const index = int(7);
        if (index === 0) throw new HpackError('header index 0');
        const { name, value } = entry(index);
        headers.push([name, value]);
        fieldSeen = true;
        continue;
      }
      if ((first & 0xe0) === 0x20) {
        // RFC 7541 4.2: size updates come first in a block, and within what SETTINGS allowed.
        if (fieldSeen) throw new HpackError('dynamic table size update after a header field');
        const max = int(5);
        if (max > this.#limit) throw new HpackError(`dynamic table size update to ${max}, above the ${this.#limit} allowed`);
        this.#max = max;
        this.#evict();
        continue;
      }
      const indexing = (first & 0xc0) === 0x40;
      const nameIndex = int(indexing ? 6 : 4);
      const name = nameIndex > 0 ? entry(nameIndex).name : string();
      const value = string();
      headers.push([name, value]);
      fieldSeen = true;
      if (indexing) this.#insert(name, value);
    }
    return headers;
  }

  #insert(name: string, value: string): void {
    const size = name.length + value.length + 32;
    this.#table.unshift({ name, value, size });
    this.#size += size;
    this.#evict();
  }

  #evict(): void {
    while (this.#size > this.#max) {
      const last = this.#table.pop();
      if (!last) break;
      this.#size -= last.size;
    }
  }
}

/**
 * A header block of literals without indexing (RFC 7541 6.2.2), with the name taken from the
 * static table where it is there; ":status: 200" alone is the indexed entry 8.
 */
export function encodeHeaders(headers: HeaderList): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of headers) {
    if (name === ':status' && value === '200') {
      parts.push(Buffer.from([0x88]));
      continue;
    }
    const index = STATIC_NAMES.indexOf(name) + 1;
    if (index > 0) parts.push(encodeInt(0x00, 4, index));
    else parts.push(Buffer.from([0x00]), encodeString(name));
    parts.push(encodeString(value));
  }
  return Buffer.concat(parts);
}

function encodeInt(flags: number, prefixBits: number, n: number): Buffer {
  const mask = (1 << prefixBits) - 1;
  if (n < mask) return Buffer.from([flags | n]);
  const out = [flags | mask];
  n -= mask;
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([encodeInt(0x00, 7, bytes.length), bytes]);
}
