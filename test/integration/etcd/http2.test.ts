/**
 * The face's HTTP/2 layer (src/etcd/grpc/) as a plain HTTP/2 client sees it, below what a gRPC
 * client library shows: answers to requests that are not gRPC, unknown methods, PING, flow
 * control against a client with a tiny window, oversized messages, and a peer that does not
 * speak HTTP/2 at all. Go clients (etcdctl) and grpc-js run in etcdctl.test.ts and grpc.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as connectHttp2, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import type { TestContext } from 'node:test';
import { etcdServices } from '../../../src/etcd/proto.js';
import { startFace } from './fixture.js';

interface Answer {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Buffer;
}

function session(t: TestContext, endpoint: string, settings: { initialWindowSize?: number } = {}, padded = false): ClientHttp2Session {
  // maxSendHeaderBlockLength: node's own 64 000-byte bound would stop a block before the server sees it.
  const s = connectHttp2(`http://${endpoint}`, { settings, maxSendHeaderBlockLength: 256 * 1024, ...(padded ? { paddingStrategy: constants.PADDING_STRATEGY_MAX } : {}) });
  s.on('error', () => undefined);
  t.after(() => s.destroy());
  return s;
}

function request(s: ClientHttp2Session, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  const stream = s.request({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers', ...headers });
  const chunks: Buffer[] = [];
  let responseHeaders: IncomingHttpHeaders = {};
  let trailers: IncomingHttpHeaders = {};
  stream.on('response', (h) => (responseHeaders = h));
  stream.on('trailers', (h) => (trailers = h));
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.end(body);
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.on('close', () => resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) }));
  });
}

/** One gRPC message: the uncompressed flag and the length, then the bytes. */
function framed(message: Buffer): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

const KV = etcdServices().KV;

describe('etcd face HTTP/2', { timeout: 120_000 }, () => {
  it('answers requests that are not gRPC with 405 / 415, and unknown methods with UNIMPLEMENTED', { timeout: 30_000 }, async (t) => {
    const f = await startFace(t);
    const s = session(t, f.tcpEndpoint);
    const get = await request(s, { ':method': 'GET', ':path': '/etcdserverpb.KV/Range' });
    assert.equal(get.headers[':status'], 405);
    const json = await request(s, { ':path': '/etcdserverpb.KV/Range', 'content-type': 'application/json' }, Buffer.from('{}'));
    assert.equal(json.headers[':status'], 415);
    const unknown = await request(s, { ':path': '/etcdserverpb.KV/Frobnicate' }, framed(Buffer.alloc(0)));
    assert.equal(unknown.headers[':status'], 200);
    assert.equal(unknown.headers['grpc-status'], '12', 'a Trailers-Only answer');
    assert.match(String(unknown.headers['grpc-message']), /does not implement the method \/etcdserverpb.KV\/Frobnicate/);
    const auth = await request(s, { ':path': '/etcdserverpb.Auth/AuthEnable' }, framed(Buffer.alloc(0)));
    assert.equal(auth.headers['grpc-status'], '12');
    assert.match(decodeURIComponent(String(auth.headers['grpc-message'])), /etcdserverpb.Auth\/AuthEnable: not implemented/);
  });

  it('answers PING, and sends a range far larger than the client window as the window allows', { timeout: 30_000 }, async (t) => {
    const f = await startFace(t);
    const value = Buffer.alloc(200 * 1024, 'x');
    for (const key of ['big/1', 'big/2', 'big/3']) await f.backend.txn([], [{ type: 'put', key, value }], []);
    const s = session(t, f.tcpEndpoint, { initialWindowSize: 1024 });
    await once(s, 'connect');
    const rtt = await new Promise<number>((resolve, reject) => s.ping((err, ms) => (err ? reject(err) : resolve(ms))));
    assert.ok(rtt >= 0);
    const answer = await request(s, { ':path': '/etcdserverpb.KV/Range' }, framed(KV.Range!.requestSerialize({ key: Buffer.from('big/'), range_end: Buffer.from('big0') })));
    assert.equal(answer.trailers['grpc-status'], '0');
    assert.equal(answer.body.readUInt32BE(1), answer.body.length - 5, 'one whole message');
    const res = KV.Range!.responseDeserialize(answer.body.subarray(5)) as { kvs: { key: Buffer; value: Buffer }[] };
    assert.deepEqual(res.kvs.map((kv) => kv.key.toString()), ['big/1', 'big/2', 'big/3']);
    for (const kv of res.kvs) assert.ok(Buffer.from(kv.value).equals(value));
  });

  it('refuses a request message over the limit with RESOURCE_EXHAUSTED, and the connection goes on', { timeout: 30_000 }, async (t) => {
    const f = await startFace(t);
    const s = session(t, f.tcpEndpoint);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(3 * 1024 * 1024, 1);
    const big = await request(s, { ':path': '/etcdserverpb.KV/Put' }, Buffer.concat([header, Buffer.alloc(64 * 1024)]));
    assert.equal(big.headers['grpc-status'] ?? big.trailers['grpc-status'], '8');
    assert.match(String(big.headers['grpc-message'] ?? big.trailers['grpc-message']), /larger than max/);
    const ok = await request(s, { ':path': '/etcdserverpb.KV/Put' }, framed(KV.Put!.requestSerialize({ key: Buffer.from('k'), value: Buffer.from('v') })));
    assert.equal(ok.trailers['grpc-status'], '0');
    assert.equal(Buffer.from((await f.backend.get('k')).kv?.value ?? []).toString(), 'v');
  });

  it('reads padded frames and header blocks continued over CONTINUATION frames', { timeout: 30_000 }, async (t) => {
    const f = await startFace(t);
    const s = session(t, f.tcpEndpoint, {}, true);
    // 40 KiB of headers do not fit one 16 KiB frame: HEADERS + CONTINUATION.
    const answer = await request(s, { ':path': '/etcdserverpb.KV/Put', 'x-pad': 'p'.repeat(40_000) }, framed(KV.Put!.requestSerialize({ key: Buffer.from('padded'), value: Buffer.from('yes') })));
    assert.equal(answer.trailers['grpc-status'], '0');
    assert.equal(Buffer.from((await f.backend.get('padded')).kv?.value ?? []).toString(), 'yes');
    // A header block over the 64 KiB bound (100 000 six-bit Huffman codes: 75 KB) ends the connection.
    const goaway = once(s, 'goaway');
    await request(s, { ':path': '/etcdserverpb.KV/Put', 'x-pad': 'p'.repeat(100_000) }, framed(Buffer.alloc(0))).catch(() => undefined);
    assert.equal((await goaway)[0], constants.NGHTTP2_PROTOCOL_ERROR);
  });

  it('ends a connection that does not start with the HTTP/2 preface with GOAWAY PROTOCOL_ERROR', { timeout: 30_000 }, async (t) => {
    const f = await startFace(t);
    const [host, port] = f.tcpEndpoint.split(':');
    const socket = connectTcp(Number(port), host);
    t.after(() => socket.destroy());
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'close');
    const data = Buffer.concat(chunks);
    // Frames: the server's SETTINGS, its WINDOW_UPDATE, then GOAWAY.
    let pos = 0;
    const types: number[] = [];
    let goawayCode = -1;
    while (pos + 9 <= data.length) {
      const length = data.readUIntBE(pos, 3);
      types.push(data[pos + 3] ?? -1);
      if (data[pos + 3] === 0x7) goawayCode = data.readUInt32BE(pos + 9 + 4);
      pos += 9 + length;
    }
    assert.deepEqual(types, [0x4, 0x8, 0x7]);
    assert.equal(goawayCode, constants.NGHTTP2_PROTOCOL_ERROR);
  });
});
