/**
 * A byte-level pass-through in front of the gRPC server for each accepted connection, which
 * rewrites only the header blocks of client HEADERS/CONTINUATION frames through an
 * AuthorityRewriter (see hpack.ts for why). Every other frame, and everything the server sends,
 * passes untouched. A rewritten block is re-framed as one HEADERS frame plus CONTINUATION
 * frames as needed (padding dropped, priority kept).
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { AuthorityRewriter } from './hpack.js';

const PREFACE_LENGTH = 24;
const FRAME_HEADER = 9;
const TYPE_HEADERS = 0x1;
const TYPE_CONTINUATION = 0x9;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** The server's SETTINGS_MAX_FRAME_SIZE (HTTP/2 default; node does not raise it). */
const MAX_FRAME = 16_384;

interface PendingBlock {
  readonly streamId: number;
  readonly flags: number;
  readonly priority: Buffer | undefined;
  readonly fragments: Buffer[];
}

/** Parses the client-to-server byte stream and yields what the server should read. */
export class ClientFrameRewriter {
  readonly #rewriter = new AuthorityRewriter();
  #buffer: Buffer = Buffer.alloc(0);
  #prefaceLeft = PREFACE_LENGTH;
  #pending: PendingBlock | undefined;

  get rewritten(): number {
    return this.#rewriter.rewritten;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let data = this.#buffer.length > 0 ? Buffer.concat([this.#buffer, chunk]) : chunk;
    if (this.#prefaceLeft > 0) {
      const n = Math.min(this.#prefaceLeft, data.length);
      out.push(data.subarray(0, n));
      this.#prefaceLeft -= n;
      data = data.subarray(n);
    }
    let pos = 0;
    // Runs of frames that pass unchanged are forwarded as one slice.
    let passFrom = 0;
    while (data.length - pos >= FRAME_HEADER) {
      const length = data.readUIntBE(pos, 3);
      const end = pos + FRAME_HEADER + length;
      if (end > data.length) break;
      const type = data[pos + 3] ?? 0;
      if (type === TYPE_HEADERS || (type === TYPE_CONTINUATION && this.#pending)) {
        if (pos > passFrom) out.push(data.subarray(passFrom, pos));
        out.push(...this.#headerFrame(type, data[pos + 4] ?? 0, data.readUInt32BE(pos + 5) & 0x7fffffff, data.subarray(pos + FRAME_HEADER, end)));
        passFrom = end;
      }
      pos = end;
    }
    if (pos > passFrom) out.push(data.subarray(passFrom, pos));
    this.#buffer = Buffer.from(data.subarray(pos));
    return out;
  }

  #headerFrame(type: number, flags: number, streamId: number, payload: Buffer): Buffer[] {
    if (type === TYPE_HEADERS) {
      let start = 0;
      let end = payload.length;
      if (flags & FLAG_PADDED) {
        const pad = payload[0] ?? 0;
        start = 1;
        end -= pad;
      }
      let priority: Buffer | undefined;
      if (flags & FLAG_PRIORITY) {
        priority = Buffer.from(payload.subarray(start, start + 5));
        start += 5;
      }
      this.#pending = { streamId, flags, priority, fragments: [Buffer.from(payload.subarray(start, Math.max(start, end)))] };
    } else {
      this.#pending?.fragments.push(Buffer.from(payload));
    }
    if (!(flags & FLAG_END_HEADERS)) return [];
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return [];
    const block = pending.fragments.length === 1 ? (pending.fragments[0] ?? Buffer.alloc(0)) : Buffer.concat(pending.fragments);
    return frameBlock(pending, this.#rewriter.rewrite(block));
  }
}

function frameBlock(pending: PendingBlock, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  const firstRoom = MAX_FRAME - (pending.priority ? 5 : 0);
  let offset = 0;
  let first = true;
  do {
    const room = first ? firstRoom : MAX_FRAME;
    const piece = block.subarray(offset, offset + room);
    offset += piece.length;
    const last = offset >= block.length;
    const prefix = first && pending.priority ? pending.priority : Buffer.alloc(0);
    const header = Buffer.alloc(FRAME_HEADER);
    header.writeUIntBE(prefix.length + piece.length, 0, 3);
    header[3] = first ? TYPE_HEADERS : TYPE_CONTINUATION;
    header[4] = (first ? pending.flags & (FLAG_END_STREAM | FLAG_PRIORITY) : 0) | (last ? FLAG_END_HEADERS : 0);
    header.writeUInt32BE(pending.streamId, 5);
    frames.push(header, prefix, piece);
    first = false;
  } while (offset < block.length);
  return frames;
}

/** The connection as the HTTP/2 server should see it: client bytes rewritten, server bytes as is. */
export function shimConnection(socket: Socket): Duplex {
  const parser = new ClientFrameRewriter();
  // HTTP/2 on a JS stream hands each frame batch over separately (a unary answer is headers, a
  // DATA frame, then trailers, a few microtasks apart): held back until the loop turn ends, they
  // leave in one write, which saves syscalls here and wake-ups in the client.
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const send = (chunks: Buffer[], callback: (err?: Error | null) => void): void => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    let room = true;
    for (const c of chunks) room = socket.write(c);
    // Accepted into the socket's buffer: go on at once, unless that buffer is full.
    if (room) callback();
    else socket.once('drain', () => callback());
  };
  const shim = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      send([chunk], callback);
    },
    writev(chunks, callback) {
      send(chunks.map((c) => c.chunk as Buffer), callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    let more = true;
    try {
      for (const piece of parser.push(chunk)) if (piece.length > 0) more = shim.push(piece) && more;
    } catch (err) {
      // A header block we cannot parse would fail in the server's decoder too: drop the connection.
      shim.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (!more) socket.pause();
  });
  socket.on('end', () => shim.push(null));
  socket.on('error', (err) => shim.destroy(err));
  socket.on('close', () => {
    if (!shim.destroyed) shim.destroy();
  });
  socket.setNoDelay(true);
  return shim;
}
