import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { constants as zc, createDeflate, createInflate } from 'node:zlib';
import {
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameReader,
  FrameType,
  HEADER_DICTIONARY,
  SpdyClientSession,
} from '../../../../src/agent/kubelet-api/spdy.js';

test('the header dictionary is the 1423 bytes of SPDY/3, ending in its bare text', () => {
  assert.equal(HEADER_DICTIONARY.length, 1423);
  assert.equal(HEADER_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(HEADER_DICTIONARY.toString('latin1').endsWith(',*,enq=0.'));
});

test('frames split across chunks are reassembled in order', () => {
  const bytes = Buffer.concat([dataFrame(3, FLAG_FIN, Buffer.from('hello')), controlFrame(FrameType.Ping, 0, Buffer.from([0, 0, 0, 2]))]);
  const reader = new FrameReader();
  const frames = [...reader.push(bytes.subarray(0, 5)), ...reader.push(bytes.subarray(5, 15)), ...reader.push(bytes.subarray(15))];
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0], { control: false, streamId: 3, flags: FLAG_FIN, data: Buffer.from('hello') });
  assert.equal(frames[1]!.control && frames[1]!.type, FrameType.Ping);
});

test('name/value blocks round-trip with lower-cased names', () => {
  assert.deepEqual(decodeHeaderBlock(encodeHeaderBlock({ StreamType: 'stdin', port: '8080' })), { streamtype: 'stdin', port: '8080' });
});

/** A minimal SPDY server side: replies to each SYN_STREAM, echoes data upper-cased, ends on FIN. */
function fakeServer(seen: Record<string, string>[]): Promise<{ port: number; close: () => void }> {
  return new Promise((resolve) => {
    const server = createServer((socket: Socket) => {
      const inflate = createInflate({ dictionary: HEADER_DICTIONARY });
      const deflate = createDeflate({ dictionary: HEADER_DICTIONARY });
      const reader = new FrameReader();
      let work = Promise.resolve();
      const through = (stream: typeof inflate | typeof deflate, input: Buffer): Promise<Buffer> =>
        new Promise((done) => {
          const chunks: Buffer[] = [];
          const on = (c: Buffer): void => void chunks.push(c);
          stream.on('data', on);
          stream.write(input);
          stream.flush(zc.Z_SYNC_FLUSH, () => (stream.off('data', on), done(Buffer.concat(chunks))));
        });
      socket.on('data', (chunk: Buffer) => {
        for (const frame of reader.push(chunk)) {
          work = work.then(async () => {
            if (frame.control && frame.type === FrameType.SynStream) {
              const id = frame.data.readUInt32BE(0);
              seen.push(decodeHeaderBlock(await through(inflate, frame.data.subarray(10))));
              const head = Buffer.alloc(4);
              head.writeUInt32BE(id);
              socket.write(controlFrame(FrameType.SynReply, 0, Buffer.concat([head, await through(deflate, encodeHeaderBlock({ ok: 'yes' }))])));
            } else if (!frame.control) {
              if (frame.data.length > 0) socket.write(dataFrame(frame.streamId, 0, Buffer.from(frame.data.toString().toUpperCase())));
              if (frame.flags & FLAG_FIN) socket.write(dataFrame(frame.streamId, FLAG_FIN, Buffer.alloc(0)));
            }
          });
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ port, close: () => server.close() });
    });
  });
}

test('a client session opens streams with compressed headers, sends, half-closes and reads to the end', async () => {
  const seen: Record<string, string>[] = [];
  const server = await fakeServer(seen);
  const socket = connect(server.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const session = new SpdyClientSession(socket);
  const first = await session.open({ streamtype: 'error' });
  const second = await session.open({ streamtype: 'stdin', port: '80' });
  assert.deepEqual([first.id, second.id], [1, 3]);
  assert.deepEqual(seen, [{ streamtype: 'error' }, { streamtype: 'stdin', port: '80' }]);
  const received: Buffer[] = [];
  const ended = new Promise<void>((resolve) => {
    second.onData = (d) => void received.push(d);
    second.onEnd = resolve;
  });
  second.write(Buffer.from('abc'));
  second.write(Buffer.alloc(70_000, 'x'));
  second.end();
  await ended;
  assert.equal(Buffer.concat(received).toString(), 'ABC' + 'X'.repeat(70_000));
  session.close();
  server.close();
});
