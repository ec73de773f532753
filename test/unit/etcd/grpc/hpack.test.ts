import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHeaders, HpackDecoder, HpackError, huffmanDecode, huffmanEncode } from '../../../../src/etcd/grpc/hpack.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HPACK', () => {
  it('decodes the RFC 7541 Huffman example and round-trips every byte value', () => {
    assert.equal(huffmanDecode(hex('f1e3c2e5f23a6ba0ab90f4ff')).toString(), 'www.example.com');
    assert.equal(huffmanEncode(Buffer.from('www.example.com')).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
  });

  it('decodes the RFC 7541 C.3 requests in order, following the dynamic table between blocks', () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')), [
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'],
    ]);
    assert.deepEqual(d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865')), [
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache'],
    ]);
    assert.deepEqual(d.decode(hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65')), [
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
    ]);
  });

  it('decodes the RFC 7541 C.4 requests (Huffman-coded literals)', () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')).at(-1), [':authority', 'www.example.com']);
    assert.deepEqual(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf')).at(-1), ['cache-control', 'no-cache']);
  });

  it('evicts to a smaller table on a size update, and refuses one above what was allowed', () => {
    const d = new HpackDecoder();
    d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65')); // custom-key at 62
    assert.deepEqual(d.decode(hex('be')), [['custom-key', 'custom-value']]);
    assert.throws(() => d.decode(hex('20 be')), HpackError, 'size 0 empties the table');
    assert.throws(() => new HpackDecoder().decode(hex('3fe2 1f')), /above the 4096 allowed/);
    assert.throws(() => new HpackDecoder().decode(hex('82 20')), /after a header field/);
    assert.throws(() => new HpackDecoder().decode(hex('4105 6162')), /truncated/);
  });

  it('encodes literals without indexing that a fresh decoder reads back, leaving its table empty', () => {
    const headers: [string, string][] = [[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', '5'], ['grpc-message', 'x'.repeat(300)]];
    const block = encodeHeaders(headers);
    assert.equal(block[0], 0x88);
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(block), headers);
    assert.deepEqual(d.decode(block), headers, 'the same block decodes the same: nothing was indexed');
  });
});
