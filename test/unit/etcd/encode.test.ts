import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRangeResponse } from '../../../src/etcd/encode.js';
import type { RangeResponse } from '../../../src/etcd/messages.js';
import { etcdServices } from '../../../src/etcd/proto.js';

const range = etcdServices().KV.Range;
if (!range) throw new Error('KV.Range missing from the proto');

const kv = (key: string, value: string, rev: number, lease = 0) => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  create_revision: rev,
  mod_revision: rev + 1,
  version: 2,
  lease,
});

describe('RangeResponse direct encoder', () => {
  it('encodes what the generic protobuf encoder encodes (proto3: zero fields may be omitted)', () => {
    const cases: RangeResponse[] = [
      { header: { cluster_id: 7, member_id: 9, revision: 0, raft_term: 1 }, kvs: [], more: false, count: 0 },
      {
        header: { cluster_id: 2 ** 52 + 3, member_id: 2 ** 40, revision: 300, raft_term: 1 },
        kvs: [kv('/registry/a', 'x'.repeat(200), 1), kv('b', '', 2 ** 33, 2 ** 50 + 1), kv('\u00ff\u0000', 'é', 127)],
        more: true,
        count: 12345,
      },
    ];
    for (const res of cases) {
      const ours = encodeRangeResponse(res);
      assert.deepEqual(range.responseDeserialize(ours), range.responseDeserialize(range.responseSerialize(res)));
      if (res.kvs.length > 0) assert.ok(ours.length <= range.responseSerialize(res).length);
    }
  });

  it('round-trips through the generic decoder for 10k keys of 1 KiB', () => {
    const kvs = Array.from({ length: 10_000 }, (_, i) => kv(`/k/${i}`, 'v'.repeat(1024), i + 1));
    const res: RangeResponse = { header: { cluster_id: 1, member_id: 2, revision: 10_001, raft_term: 1 }, kvs, more: false, count: 10_000 };
    const decoded = range.responseDeserialize(encodeRangeResponse(res)) as RangeResponse;
    assert.equal(decoded.kvs.length, 10_000);
    assert.equal(decoded.count, 10_000);
    assert.equal(Buffer.from(decoded.kvs[9_999]?.key ?? []).toString(), '/k/9999');
    assert.equal(decoded.kvs[9_999]?.mod_revision, 10_001);
    assert.equal(Buffer.from(decoded.kvs[0]?.value ?? []).length, 1024);
  });
});
