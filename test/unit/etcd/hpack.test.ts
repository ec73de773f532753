import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientFrameRewriter } from '../../../src/etcd/authority-shim.js';
import { AuthorityRewriter, huffmanDecode, huffmanEncode, sanitizeAuthority } from '../../../src/etcd/hpack.js';

/** A literal header with incremental indexing and an indexed name (RFC 7541 6.2.1). */
function literalIndexed(nameIndex: number, value: string, huffman: boolean): Buffer {
  const bytes = huffman ? huffmanEncode(Buffer.from(value)) : Buffer.from(value);
  assert.ok(bytes.length < 127 && nameIndex < 63);
  return Buffer.concat([Buffer.from([0x40 | nameIndex, (huffman ? 0x80 : 0) | bytes.length]), bytes]);
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

describe('HPACK authority rewriting', () => {
  it('decodes the RFC 7541 Huffman example and round-trips every byte value', () => {
    assert.equal(huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4ff', 'hex')).toString(), 'www.example.com');
    assert.equal(huffmanEncode(Buffer.from('www.example.com')).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
  });

  it('replaces a unix-path :authority with a valid one of the same length and leaves good ones alone', () => {
    const path = '/var/lib/rancher/k3s/server/kine.sock';
    assert.equal(sanitizeAuthority(path), '-var-lib-rancher-k3s-server-kine.sock');
    for (const huffman of [false, true]) {
      const r = new AuthorityRewriter();
      const block = Buffer.concat([Buffer.from([0x83, 0x86]), literalIndexed(1, path, huffman), literalIndexed(31, 'application/grpc', huffman)]);
      const out = r.rewrite(block);
      assert.notDeepEqual(out, block);
      assert.ok(out.includes(Buffer.from('-var-lib-rancher-k3s-server-kine.sock')));
      assert.ok(out.subarray(-literalIndexed(31, 'application/grpc', huffman).length).equals(literalIndexed(31, 'application/grpc', huffman)));
      const good = Buffer.concat([Buffer.from([0x83]), literalIndexed(1, '127.0.0.1:2379', huffman)]);
      assert.equal(new AuthorityRewriter().rewrite(good), good, 'an acceptable block is passed as the same buffer');
    }
  });

  it('keeps following the dynamic table so indexed names resolve across blocks', () => {
    const r = new AuthorityRewriter();
    // Block 1 inserts ":authority: http://x" (index 62 afterwards) and "x-a: 1" (then 62, authority 63).
    r.rewrite(Buffer.concat([literalIndexed(1, 'http://x', true), Buffer.from([0x40, 3]), Buffer.from('x-a'), Buffer.from([1]), Buffer.from('1')]));
    // Block 2: a literal whose NAME is dynamic index 63 (= :authority) must also be rewritten.
    const second = Buffer.concat([Buffer.from([0x40 | 63, 0]), Buffer.from([8]), Buffer.from('http://y')]);
    const out = r.rewrite(second);
    assert.ok(out.includes(Buffer.from('http:--y')), out.toString('latin1'));
    assert.equal(r.rewritten, 2);
  });

  it('re-frames a HEADERS+CONTINUATION block and passes DATA frames through in order', () => {
    const parser = new ClientFrameRewriter();
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const block = Buffer.concat([Buffer.from([0x83]), literalIndexed(1, '/tmp/a.sock', false)]);
    const headers = frame(1, 0x01 | 0x08, 1, Buffer.concat([Buffer.from([2]), block.subarray(0, 4), Buffer.alloc(2)])); // padded, END_STREAM
    const continuation = frame(9, 0x04, 1, block.subarray(4));
    const data = frame(0, 0x01, 1, Buffer.from('hello'));
    const input = Buffer.concat([preface, headers, continuation, data]);
    // Feed it in awkward pieces.
    const out: Buffer[] = [];
    for (let i = 0; i < input.length; i += 7) out.push(...parser.push(input.subarray(i, i + 7)));
    const all = Buffer.concat(out);
    assert.ok(all.subarray(0, 24).equals(preface));
    const rewritten = Buffer.concat([Buffer.from([0x83]), literalIndexed(1, '-tmp-a.sock', false)]);
    assert.deepEqual(all.subarray(24), Buffer.concat([frame(1, 0x01 | 0x04, 1, rewritten), data]));
  });
});
