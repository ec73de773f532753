/**
 * One gRPC call on one HTTP/2 stream, as the face's handlers see it: request messages arrive as
 * 'data' events (decoded), 'end' says the client sent its last one, 'cancelled' that the client
 * or the connection went away (after which writes are dropped). write() sends a response
 * message; end() closes the call with OK, fail() with an error status. write() returns false once
 * more than HIGH_WATER bytes wait to be sent (flow control or a slow socket), and 'drain' follows
 * when they have gone, as for a node stream.
 */
import { EventEmitter } from 'node:events';
import { status as Status } from '@grpc/grpc-js';

/** What a call needs of its method: the (de)serializers of etcd's service definitions. */
export interface CallMethod {
  readonly path: string;
  readonly requestDeserialize: (bytes: Buffer) => unknown;
  readonly responseSerialize: (value: never) => Buffer;
}

/** The connection side of a call (connection.ts). */
export interface CallSink {
  /** Response headers (once, before the first message), then DATA as windows allow. */
  sendMessage(streamId: number, prefix: Buffer, body: Buffer): void;
  /** The status trailers, after every queued message; the stream ends with them. */
  sendStatus(streamId: number, code: Status, message: string): void;
  /** Bytes of this stream's messages not yet handed to the socket. */
  queuedBytes(streamId: number): number;
}

export interface StatusLike {
  readonly code?: Status | undefined;
  readonly details?: string | undefined;
}

const HIGH_WATER = 64 * 1024;
const MESSAGE_HEADER = 5;

export class ServerCall<Req = unknown, Res = unknown> extends EventEmitter {
  #pending: Buffer = Buffer.alloc(0);
  #ended = false;
  #finished = false;
  #cancelled = false;
  #needDrain = false;

  constructor(
    readonly streamId: number,
    readonly method: CallMethod,
    private readonly sink: CallSink,
    private readonly maxReceiveBytes: number,
  ) {
    super();
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** True once end() or fail() was called or the call was cancelled: nothing more is sent. */
  get finished(): boolean {
    return this.#finished || this.#cancelled;
  }

  get writableLength(): number {
    return this.finished ? 0 : this.sink.queuedBytes(this.streamId);
  }

  write(message: Res): boolean {
    if (this.finished) return false;
    const body = (this.method.responseSerialize as (v: Res) => Buffer)(message);
    // The prefix goes out as its own piece: a range answer can be megabytes, not worth a copy.
    const prefix = Buffer.allocUnsafe(MESSAGE_HEADER);
    prefix[0] = 0;
    prefix.writeUInt32BE(body.length, 1);
    this.sink.sendMessage(this.streamId, prefix, body);
    if (this.sink.queuedBytes(this.streamId) <= HIGH_WATER) return true;
    this.#needDrain = true;
    return false;
  }

  end(): void {
    this.#finish(Status.OK, '');
  }

  fail(status: StatusLike): void {
    this.#finish(status.code ?? Status.UNKNOWN, status.details ?? '');
  }

  #finish(code: Status, message: string): void {
    if (this.finished) return;
    this.#finished = true;
    this.sink.sendStatus(this.streamId, code, message);
  }

  // ---- called by the connection ----

  /** A DATA payload of this stream: complete messages are decoded and emitted. */
  receive(chunk: Buffer): void {
    if (this.#ended || this.finished) return;
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    while (data.length >= MESSAGE_HEADER) {
      const compressed = data[0] !== 0;
      const length = data.readUInt32BE(1);
      if (length > this.maxReceiveBytes) {
        this.fail({ code: Status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${length} vs. ${this.maxReceiveBytes})` });
        return;
      }
      if (data.length < MESSAGE_HEADER + length) break;
      if (compressed) {
        this.fail({ code: Status.UNIMPLEMENTED, details: 'compressed request messages are not supported: send them uncompressed (grpc-encoding identity)' });
        return;
      }
      const body = data.subarray(MESSAGE_HEADER, MESSAGE_HEADER + length);
      data = data.subarray(MESSAGE_HEADER + length);
      let request: Req;
      try {
        request = this.method.requestDeserialize(body) as Req;
      } catch (err) {
        this.fail({ code: Status.INTERNAL, details: `cannot parse the request message of ${this.method.path}: ${(err as Error).message}` });
        return;
      }
      this.emit('data', request);
      if (this.finished) return;
    }
    this.#pending = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0);
  }

  /** The client half-closed the stream. */
  remoteEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.finished) return;
    if (this.#pending.length > 0) {
      this.fail({ code: Status.INTERNAL, details: 'the request stream ended inside a message' });
      return;
    }
    this.emit('end');
  }

  /** RST_STREAM from the client, or the connection is gone. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.emit('cancelled');
  }

  /** The stream's queued messages went out (called as the queue empties). */
  drained(): void {
    if (!this.#needDrain || this.finished) return;
    this.#needDrain = false;
    this.emit('drain');
  }
}
