/**
 * SPDY/3.1 as Kubernetes streaming uses it (the remotecommand and portforward protocols over
 * an HTTP/1.1 Upgrade): frame encoding and decoding, the zlib header compression with the
 * protocol's fixed dictionary, and a small client session that opens streams, sends and
 * half-closes them, and hands each stream's data and end to its owner. Flow control windows
 * are not enforced: the Go implementation on the other side (spdystream) ignores them too.
 */
import type { Socket } from 'node:net';
import { constants as zc, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

const VERSION = 3;
export const FLAG_FIN = 0x01;

export const enum FrameType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

/**
 * The SPDY/3 header dictionary (draft 3, section 2.6.10.1): length-prefixed names and values,
 * then a run of bare text. Its Adler-32 is what both compressors announce in their zlib header.
 */
const PREFIXED = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie',
  'keep-alive', 'origin',
];
const BARE = [
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505',
  '203 Non-Authoritative Information', '204 No Content', '301 Moved Permanently', '400 Bad Request', '401 Unauthorized',
  '403 Forbidden', '404 Not Found', '500 Internal Server Error', '501 Not Implemented', '503 Service Unavailable',
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec', ' 00:00:00', ' Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT',
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,',
  'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.',
];

export const HEADER_DICTIONARY: Buffer = Buffer.concat([
  ...PREFIXED.map((word) => {
    const b = Buffer.alloc(4 + word.length);
    b.writeUInt32BE(word.length, 0);
    b.write(word, 4, 'latin1');
    return b;
  }),
  Buffer.from(BARE.join(''), 'latin1'),
]);

export type Headers = Record<string, string>;

export interface DataFrame {
  readonly control: false;
  readonly streamId: number;
  readonly flags: number;
  readonly data: Buffer;
}

export interface ControlFrame {
  readonly control: true;
  readonly type: number;
  readonly flags: number;
  readonly data: Buffer;
}

export type Frame = DataFrame | ControlFrame;

/** Splits a byte stream into frames; feed it chunks, it returns the complete frames so far. */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Frame[] = [];
    while (this.#buffer.length >= 8) {
      const length = this.#buffer.readUIntBE(5, 3);
      if (this.#buffer.length < 8 + length) break;
      const flags = this.#buffer[4]!;
      const data = this.#buffer.subarray(8, 8 + length);
      if (this.#buffer[0]! & 0x80) {
        const version = this.#buffer.readUInt16BE(0) & 0x7fff;
        if (version !== VERSION) throw new Error(`SPDY: unsupported version ${version}`);
        frames.push({ control: true, type: this.#buffer.readUInt16BE(2), flags, data });
      } else {
        frames.push({ control: false, streamId: this.#buffer.readUInt32BE(0) & 0x7fffffff, flags, data });
      }
      this.#buffer = this.#buffer.subarray(8 + length);
    }
    return frames;
  }
}

export function controlFrame(type: FrameType, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head[4] = flags;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

/** The uncompressed name/value block: count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: Headers): Buffer {
  const parts: Buffer[] = [];
  const entries = Object.entries(headers);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length, 0);
  parts.push(count);
  for (const [name, value] of entries) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length, 0);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Headers {
  const headers: Headers = {};
  let offset = 4;
  const count = block.readUInt32BE(0);
  for (let i = 0; i < count; i++) {
    const nameLength = block.readUInt32BE(offset);
    const name = block.toString('utf8', offset + 4, offset + 4 + nameLength);
    offset += 4 + nameLength;
    const valueLength = block.readUInt32BE(offset);
    // Several values of one name are joined with NUL in SPDY/3.
    headers[name] = block.toString('utf8', offset + 4, offset + 4 + valueLength);
    offset += 4 + valueLength;
  }
  return headers;
}

/** One direction's header compression context: a single zlib stream for the whole session. */
class HeaderCodec {
  readonly #deflate: Deflate = createDeflate({ dictionary: HEADER_DICTIONARY });
  readonly #inflate: Inflate = createInflate({ dictionary: HEADER_DICTIONARY });
  #queue: Promise<unknown> = Promise.resolve();

  #through(stream: Deflate | Inflate, input: Buffer): Promise<Buffer> {
    const next = this.#queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const onData = (chunk: Buffer): void => void chunks.push(chunk);
          const onError = (err: Error): void => {
            stream.off('data', onData);
            reject(err);
          };
          stream.on('data', onData);
          stream.once('error', onError);
          stream.write(input);
          stream.flush(zc.Z_SYNC_FLUSH, () => {
            stream.off('data', onData);
            stream.off('error', onError);
            resolve(Buffer.concat(chunks));
          });
        }),
    );
    this.#queue = next.catch(() => undefined);
    return next;
  }

  compress(headers: Headers): Promise<Buffer> {
    return this.#through(this.#deflate, encodeHeaderBlock(headers));
  }

  async decompress(block: Buffer): Promise<Headers> {
    return decodeHeaderBlock(await this.#through(this.#inflate, block));
  }

  close(): void {
    this.#deflate.close();
    this.#inflate.close();
  }
}

export interface SpdyStream {
  readonly id: number;
  readonly headers: Headers;
  /** Sends data on the stream (in frames of at most 32 KiB). */
  write(data: Buffer): void;
  /** Half-closes our side (an empty DATA frame with FIN). */
  end(): void;
  onData: (data: Buffer) => void;
  /** The peer half-closed the stream, or reset it, or the session ended. */
  onEnd: () => void;
}

/**
 * The client side of a SPDY/3.1 session over an already upgraded socket: creates streams with
 * SYN_STREAM and waits for their SYN_REPLY, answers pings, and ends every stream when the
 * connection goes.
 */
export class SpdyClientSession {
  readonly #socket: Socket;
  readonly #codec = new HeaderCodec();
  readonly #reader = new FrameReader();
  readonly #streams = new Map<number, { stream: SpdyStream; replied: (err?: Error) => void; ended: boolean }>();
  #nextId = 1;
  #work: Promise<void> = Promise.resolve();
  #closed = false;
  onClose: () => void = () => {};

  constructor(socket: Socket, leftover: Buffer = Buffer.alloc(0)) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('close', () => this.#shutdown());
    socket.on('error', () => this.#shutdown());
    if (leftover.length > 0) this.#receive(leftover);
  }

  #receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.#reader.push(chunk);
    } catch {
      this.close();
      return;
    }
    // Header blocks decompress asynchronously; frames are handled strictly in arrival order.
    for (const frame of frames) this.#work = this.#work.then(() => this.#handle(frame)).catch(() => this.close());
  }

  async #handle(frame: Frame): Promise<void> {
    if (!frame.control) {
      const entry = this.#streams.get(frame.streamId);
      if (!entry) return;
      if (frame.data.length > 0) entry.stream.onData(frame.data);
      if (frame.flags & FLAG_FIN) this.#ended(frame.streamId);
      return;
    }
    switch (frame.type) {
      case FrameType.SynReply: {
        const id = frame.data.readUInt32BE(0) & 0x7fffffff;
        await this.#codec.decompress(frame.data.subarray(4));
        this.#streams.get(id)?.replied();
        if (frame.flags & FLAG_FIN) this.#ended(id);
        return;
      }
      case FrameType.Headers:
        await this.#codec.decompress(frame.data.subarray(4));
        return;
      case FrameType.SynStream: {
        // Servers of these protocols never push streams: refuse (RST_STREAM REFUSED_STREAM).
        await this.#codec.decompress(frame.data.subarray(10));
        const rst = Buffer.alloc(8);
        rst.writeUInt32BE(frame.data.readUInt32BE(0) & 0x7fffffff, 0);
        rst.writeUInt32BE(3, 4);
        this.#send(controlFrame(FrameType.RstStream, 0, rst));
        return;
      }
      case FrameType.RstStream: {
        const id = frame.data.readUInt32BE(0) & 0x7fffffff;
        this.#streams.get(id)?.replied(new Error(`SPDY stream ${id} reset (status ${frame.data.readUInt32BE(4)})`));
        this.#ended(id);
        return;
      }
      case FrameType.Ping:
        // Our pings have odd ids; an even id is the peer's, echoed back as the protocol asks.
        if ((frame.data.readUInt32BE(0) & 1) === 0) this.#send(controlFrame(FrameType.Ping, 0, frame.data));
        return;
      case FrameType.GoAway:
        this.close();
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE: nothing to do without flow control.
    }
  }

  #ended(id: number): void {
    const entry = this.#streams.get(id);
    if (!entry || entry.ended) return;
    entry.ended = true;
    entry.stream.onEnd();
  }

  #send(frame: Buffer): void {
    if (!this.#closed && !this.#socket.destroyed) this.#socket.write(frame);
  }

  /** Opens a stream with these headers and resolves once the server replied. */
  async open(headers: Headers): Promise<SpdyStream> {
    const id = this.#nextId;
    this.#nextId += 2;
    const send = (frame: Buffer): void => this.#send(frame);
    const stream: SpdyStream = {
      id,
      headers,
      write(data) {
        for (let offset = 0; offset < data.length; offset += 32 * 1024) send(dataFrame(id, 0, data.subarray(offset, offset + 32 * 1024)));
      },
      end() {
        send(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
      },
      onData: () => {},
      onEnd: () => {},
    };
    const replied = new Promise<void>((resolve, reject) => {
      this.#streams.set(id, { stream, replied: (err) => (err ? reject(err) : resolve()), ended: false });
    });
    const block = await this.#codec.compress(headers);
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    head.writeUInt32BE(0, 4);
    this.#send(controlFrame(FrameType.SynStream, 0, Buffer.concat([head, block])));
    if (this.#closed) throw new Error('SPDY session closed');
    await replied;
    return stream;
  }

  close(): void {
    if (this.#closed) return;
    const goAway = Buffer.alloc(8);
    goAway.writeUInt32BE(0, 0);
    this.#send(controlFrame(FrameType.GoAway, 0, goAway));
    this.#socket.end();
    this.#shutdown();
  }

  #shutdown(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#codec.close();
    for (const [id, entry] of this.#streams) {
      entry.replied(new Error('SPDY session closed'));
      this.#ended(id);
    }
    this.onClose();
  }
}
