/**
 * One HTTP/2 connection of the face's gRPC server (h2c with prior knowledge, as gRPC clients
 * speak on unix sockets and plain TCP). It covers what gRPC uses of HTTP/2 and refuses the rest
 * with the codes RFC 9113 names: frames and their sizes, SETTINGS, PING, GOAWAY, RST_STREAM,
 * header blocks with CONTINUATION, and flow control both ways (large request windows up front;
 * responses wait for the client's windows).
 *
 * Why not node's http2 + @grpc/grpc-js: profiled under sequential puts, the request path through
 * nghttp2's JS glue, grpc-js's interceptor chain and the authority shim Go clients needed (node's
 * HTTP/2 resets streams whose :authority is a unix socket path, which Go clients send) cost more
 * CPU than the datastore itself, and answers left in several writes. Here the :authority is not
 * read at all, and a unary answer (headers, message, trailers) leaves in one write.
 */
import type { Socket } from 'node:net';
import { status as Status } from '@grpc/grpc-js';
import { ServerCall, type CallMethod, type CallSink } from './call.js';
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER,
  FrameType,
  frame,
  frameHeader,
  goawayFrame,
  H2Error,
  MAX_WINDOW,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from './frames.js';
import { encodeHeaders, HpackDecoder, HpackError, type HeaderList } from './hpack.js';

/** A method the server serves, and what runs for each call of it. */
export interface Route {
  readonly method: CallMethod;
  handle(call: ServerCall): void;
}

export interface ConnectionOptions {
  /** The route for a request :path, or undefined for an unknown method. */
  readonly route: (path: string) => Route | undefined;
  /** Largest request message accepted (RESOURCE_EXHAUSTED above). */
  readonly maxReceiveBytes: number;
}

/** Receive windows: large enough that a request (<= 2 MiB) never waits for a WINDOW_UPDATE. */
const STREAM_WINDOW = 4 * 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Bound on one request header block (gRPC's are a few hundred bytes). */
const MAX_HEADER_BLOCK = 64 * 1024;
/** Bytes waiting in the socket before DATA waits for 'drain'. */
const SOCKET_HIGH_WATER = 256 * 1024;
const EMPTY = Buffer.alloc(0);
const ACK = Flag.END_STREAM;
const RESPONSE_HEADERS = encodeHeaders([
  [':status', '200'],
  ['content-type', 'application/grpc'],
]);

interface Stream {
  readonly id: number;
  call: ServerCall | undefined;
  remoteClosed: boolean;
  /** Bytes the client may still be sent on this stream. */
  sendWindow: number;
  /** Bytes received and not yet given back with a WINDOW_UPDATE. */
  received: number;
  headersSent: boolean;
  readonly queue: Buffer[];
  queueOffset: number;
  queued: number;
  /** The trailer block, sent once the queue is empty. */
  trailers: Buffer | undefined;
}

interface HeaderBlock {
  readonly streamId: number;
  readonly flags: number;
  readonly fragments: Buffer[];
  size: number;
}

export class H2Connection implements CallSink {
  readonly #socket: Socket;
  readonly #options: ConnectionOptions;
  readonly #decoder = new HpackDecoder();
  readonly #streams = new Map<number, Stream>();
  /** Streams with queued DATA waiting for a window or the socket. */
  readonly #blocked = new Set<Stream>();
  #buffer: Buffer = EMPTY;
  #prefaceSeen = false;
  #headerBlock: HeaderBlock | undefined;
  #lastStreamId = 0;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = DEFAULT_MAX_FRAME;
  #sendWindow = DEFAULT_WINDOW;
  #received = 0;
  #corked = false;
  #closing = false;
  #closed = false;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    socket.setNoDelay(true);
    // The server's preface goes out at once: Go clients wait for it before their first request.
    this.#write(settingsFrame([[Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW]]));
    this.#write(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#pumpBlocked());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#onClose());
  }

  /** Ends the connection now: GOAWAY, then the socket goes; open calls are cancelled. */
  close(): void {
    if (this.#closed) return;
    this.#write(goawayFrame(this.#lastStreamId, ErrorCode.NO_ERROR, 'server stopping'));
    this.#closing = true;
    this.#socket.end();
    this.#socket.destroySoon();
    this.#onClose();
  }

  // ---- CallSink ----

  sendMessage(streamId: number, prefix: Buffer, body: Buffer): void {
    const s = this.#streams.get(streamId);
    if (!s || s.trailers || this.#closed) return;
    this.#sendHeaders(s);
    s.queue.push(prefix);
    if (body.length > 0) s.queue.push(body);
    s.queued += prefix.length + body.length;
    this.#pump(s);
  }

  sendStatus(streamId: number, code: Status, message: string): void {
    const s = this.#streams.get(streamId);
    if (!s || s.trailers || this.#closed) return;
    const trailers: HeaderList = [['grpc-status', String(code)]];
    if (message !== '') trailers.push(['grpc-message', percentEncode(message)]);
    if (s.headersSent) s.trailers = encodeHeaders(trailers);
    else {
      // Trailers-Only: one HEADERS frame with the status, nothing else.
      s.headersSent = true;
      s.trailers = encodeHeaders([[':status', '200'], ['content-type', 'application/grpc'], ...trailers]);
    }
    this.#pump(s);
  }

  queuedBytes(streamId: number): number {
    return this.#streams.get(streamId)?.queued ?? 0;
  }

  // ---- reading ----

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    let data = this.#buffer.length > 0 ? Buffer.concat([this.#buffer, chunk]) : chunk;
    try {
      if (!this.#prefaceSeen) {
        const n = Math.min(data.length, PREFACE.length);
        if (!data.subarray(0, n).equals(PREFACE.subarray(0, n))) {
          throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'expected the HTTP/2 client preface: this is a gRPC (HTTP/2) endpoint');
        }
        if (n < PREFACE.length) {
          this.#buffer = Buffer.from(data);
          return;
        }
        this.#prefaceSeen = true;
        data = data.subarray(PREFACE.length);
      }
      let pos = 0;
      while (data.length - pos >= FRAME_HEADER) {
        const length = data.readUIntBE(pos, 3);
        if (length > DEFAULT_MAX_FRAME) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes, above SETTINGS_MAX_FRAME_SIZE ${DEFAULT_MAX_FRAME}`);
        const end = pos + FRAME_HEADER + length;
        if (end > data.length) break;
        const type = data[pos + 3] ?? 0;
        const flags = data[pos + 4] ?? 0;
        const streamId = data.readUInt32BE(pos + 5) & 0x7fffffff;
        this.#frame(type, flags, streamId, data.subarray(pos + FRAME_HEADER, end));
        pos = end;
        if (this.#closing) return;
      }
      this.#buffer = pos < data.length ? Buffer.from(data.subarray(pos)) : EMPTY;
    } catch (err) {
      if (err instanceof H2Error) this.#goAway(err.code, err.message);
      else if (err instanceof HpackError) this.#goAway(ErrorCode.COMPRESSION_ERROR, err.message);
      // A handler that throws ends its client's connection, never the server.
      else this.#goAway(ErrorCode.INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
    }
  }

  #frame(type: FrameType, flags: number, streamId: number, payload: Buffer): void {
    if (this.#headerBlock && type !== FrameType.CONTINUATION) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    switch (type) {
      case FrameType.DATA:
        return this.#onDataFrame(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.#onHeaders(flags, streamId, payload);
      case FrameType.CONTINUATION: {
        const block = this.#headerBlock;
        if (!block || block.streamId !== streamId) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without a header block to continue');
        this.#addFragment(block, payload);
        if (flags & Flag.END_HEADERS) this.#endHeaders(block);
        return;
      }
      case FrameType.PRIORITY:
        if (streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        return; // advisory; every stream is served as it comes
      case FrameType.RST_STREAM: {
        if (streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        if (payload.length !== 4) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM payload is not 4 bytes');
        const s = this.#streams.get(streamId);
        if (s) {
          this.#forget(s);
          s.call?.cancel();
        }
        return;
      }
      case FrameType.SETTINGS:
        return this.#onSettings(flags, streamId, payload);
      case FrameType.PUSH_PROMISE:
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'clients must not send PUSH_PROMISE');
      case FrameType.PING:
        if (streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'PING payload is not 8 bytes');
        if (!(flags & ACK)) this.#write(frame(FrameType.PING, ACK, 0, Buffer.from(payload)));
        return;
      case FrameType.GOAWAY:
        // The client opens no more streams; the ones it has run to their end.
        return;
      case FrameType.WINDOW_UPDATE:
        return this.#onWindowUpdate(streamId, payload);
      default:
        return; // unknown frame types are ignored (RFC 9113 4.1)
    }
  }

  #onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) {
      if (payload.length !== 0) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (payload.length % 6 !== 0) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS payload is not a multiple of 6 bytes');
    let grown = false;
    for (let i = 0; i < payload.length; i += 6) {
      const id = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value} is above 2^31-1`);
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const s of this.#streams.values()) s.sendWindow += delta;
        grown ||= delta > 0;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215) throw new H2Error(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value} is out of range`);
        this.#peerMaxFrame = value;
      } else if (id === Setting.ENABLE_PUSH && value > 1) {
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH is neither 0 nor 1');
      }
      // HEADER_TABLE_SIZE bounds a table this server's encoder never uses; the others are limits
      // on what a server sends that its answers stay far below.
    }
    this.#write(frame(FrameType.SETTINGS, ACK, 0));
    if (grown) this.#pumpBlocked();
  }

  #onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE payload is not 4 bytes');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0 for the connection');
      this.#sendWindow += increment;
      if (this.#sendWindow > MAX_WINDOW) throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'the connection window grew past 2^31-1');
      this.#pumpBlocked();
      return;
    }
    const s = this.#streams.get(streamId);
    if (!s) return;
    s.sendWindow += increment;
    if (increment === 0 || s.sendWindow > MAX_WINDOW) {
      this.#resetStream(s, increment === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    this.#pump(s);
  }

  #onHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || streamId % 2 === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, which a client cannot open`);
    let start = 0;
    let end = payload.length;
    if (flags & Flag.PADDED) {
      start = 1;
      end -= payload[0] ?? 0;
    }
    if (flags & Flag.PRIORITY) start += 5;
    if (end < start) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
    const block: HeaderBlock = { streamId, flags, fragments: [], size: 0 };
    this.#addFragment(block, payload.subarray(start, end));
    if (flags & Flag.END_HEADERS) this.#endHeaders(block);
    else this.#headerBlock = block;
  }

  #addFragment(block: HeaderBlock, fragment: Buffer): void {
    block.size += fragment.length;
    if (block.size > MAX_HEADER_BLOCK) throw new H2Error(ErrorCode.PROTOCOL_ERROR, `request header block over ${MAX_HEADER_BLOCK} bytes`);
    // The read buffer a fragment points into is not kept past this read.
    block.fragments.push(block.flags & Flag.END_HEADERS ? fragment : Buffer.from(fragment));
  }

  #endHeaders(block: HeaderBlock): void {
    this.#headerBlock = undefined;
    // Decoded even for a stream that is ignored: the decoder's table must follow every block.
    const headers = this.#decoder.decode(block.fragments.length === 1 ? (block.fragments[0] ?? EMPTY) : Buffer.concat(block.fragments));
    const endStream = (block.flags & Flag.END_STREAM) !== 0;
    const existing = this.#streams.get(block.streamId);
    if (existing) {
      // Request trailers: they must end the stream.
      if (!endStream) this.#resetStream(existing, ErrorCode.PROTOCOL_ERROR);
      else this.#remoteEnd(existing);
      return;
    }
    if (block.streamId <= this.#lastStreamId) return; // a stream already closed here
    this.#lastStreamId = block.streamId;
    const s: Stream = { id: block.streamId, call: undefined, remoteClosed: endStream, sendWindow: this.#peerInitialWindow, received: 0, headersSent: false, queue: [], queueOffset: 0, queued: 0, trailers: undefined };
    this.#streams.set(s.id, s);
    let path = '';
    let method = '';
    let contentType = '';
    for (const [name, value] of headers) {
      if (name === ':path') path = value;
      else if (name === ':method') method = value;
      else if (name === 'content-type') contentType = value;
    }
    if (method !== 'POST' || !contentType.startsWith('application/grpc')) {
      // Not a gRPC request: a plain HTTP answer, as gRPC servers give (405 / 415).
      s.headersSent = true;
      s.trailers = encodeHeaders([[':status', method !== 'POST' ? '405' : '415']]);
      this.#pump(s);
      return;
    }
    const route = this.#options.route(path);
    if (!route) {
      this.sendStatus(s.id, Status.UNIMPLEMENTED, `The server does not implement the method ${path}`);
      return;
    }
    const call = new ServerCall(s.id, route.method, this, this.#options.maxReceiveBytes);
    s.call = call;
    route.handle(call);
    if (s.remoteClosed) call.remoteEnd();
  }

  #onDataFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    // Flow control counts the whole payload, padding included, on every stream ever opened.
    this.#received += payload.length;
    if (this.#received > CONNECTION_WINDOW) throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'the client sent more than the connection window');
    if (this.#received >= CONNECTION_WINDOW / 2) {
      this.#write(windowUpdateFrame(0, this.#received));
      this.#received = 0;
    }
    let data = payload;
    if (flags & Flag.PADDED) {
      const pad = payload[0] ?? 0;
      if (pad >= payload.length) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than the frame');
      data = payload.subarray(1, payload.length - pad);
    }
    const s = this.#streams.get(streamId);
    if (!s) {
      if (streamId > this.#lastStreamId) throw new H2Error(ErrorCode.PROTOCOL_ERROR, `DATA on stream ${streamId}, which was never opened`);
      return; // a stream this server already finished; its late data is dropped
    }
    if (s.remoteClosed) {
      this.#resetStream(s, ErrorCode.STREAM_CLOSED);
      return;
    }
    s.received += payload.length;
    if (s.received > STREAM_WINDOW) {
      this.#resetStream(s, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (!endStream && s.received >= STREAM_WINDOW / 2) {
      this.#write(windowUpdateFrame(s.id, s.received));
      s.received = 0;
    }
    if (data.length > 0) s.call?.receive(data);
    if (endStream) this.#remoteEnd(s);
  }

  #remoteEnd(s: Stream): void {
    s.remoteClosed = true;
    s.call?.remoteEnd();
  }

  // ---- writing ----

  #sendHeaders(s: Stream): void {
    if (s.headersSent) return;
    s.headersSent = true;
    this.#write(frameHeader(RESPONSE_HEADERS.length, FrameType.HEADERS, Flag.END_HEADERS, s.id));
    this.#write(RESPONSE_HEADERS);
  }

  /** Sends what the windows and the socket allow, then the trailers once nothing is queued. */
  #pump(s: Stream): void {
    while (s.queued > 0) {
      if (s.sendWindow <= 0 || this.#sendWindow <= 0 || this.#socket.writableLength > SOCKET_HIGH_WATER || this.#closed) {
        this.#blocked.add(s);
        return;
      }
      // One DATA frame may span queued pieces (a message's prefix and body, or several messages).
      const n = Math.min(s.queued, s.sendWindow, this.#sendWindow, this.#peerMaxFrame);
      this.#write(frameHeader(n, FrameType.DATA, 0, s.id));
      s.sendWindow -= n;
      this.#sendWindow -= n;
      s.queued -= n;
      for (let left = n; left > 0; ) {
        const head = s.queue[0];
        if (!head) break;
        const take = Math.min(left, head.length - s.queueOffset);
        this.#write(head.subarray(s.queueOffset, s.queueOffset + take));
        left -= take;
        s.queueOffset += take;
        if (s.queueOffset === head.length) {
          s.queue.shift();
          s.queueOffset = 0;
        }
      }
    }
    this.#blocked.delete(s);
    if (!s.trailers) {
      s.call?.drained();
      return;
    }
    // Status blocks are small (grpc-message is capped), so one frame always holds them.
    this.#write(frameHeader(s.trailers.length, FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, s.id));
    this.#write(s.trailers);
    this.#forget(s);
    // The answer is complete; a client still sending is told to stop.
    if (!s.remoteClosed) this.#write(rstStreamFrame(s.id, ErrorCode.NO_ERROR));
  }

  #pumpBlocked(): void {
    for (const s of [...this.#blocked]) this.#pump(s);
  }

  #resetStream(s: Stream, code: ErrorCode): void {
    this.#write(rstStreamFrame(s.id, code));
    this.#forget(s);
    s.call?.cancel();
  }

  #forget(s: Stream): void {
    this.#streams.delete(s.id);
    this.#blocked.delete(s);
  }

  /** Frames written in one tick leave in one socket write (a unary answer is three frames). */
  #write(bytes: Buffer): void {
    if (this.#closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(bytes);
  }

  #goAway(code: ErrorCode, message: string): void {
    this.#write(goawayFrame(this.#lastStreamId, code, message));
    this.#closing = true;
    this.#socket.end();
    this.#onClose();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closing = true;
    this.#closed = true;
    const calls = [...this.#streams.values()].map((s) => s.call);
    this.#streams.clear();
    this.#blocked.clear();
    for (const call of calls) call?.cancel();
  }
}

/** grpc-message: UTF-8, percent-encoded outside printable ASCII (gRPC over HTTP/2 spec), capped. */
function percentEncode(message: string): string {
  let out = '';
  for (const b of Buffer.from(message.slice(0, 4096), 'utf8')) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
