/** The etcd driver's translations between Backend types and etcd's protobuf messages and errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { compare, rangeRequest, requestOp, responseOp, toKeyValue } from '../../../../src/datastore/etcd/convert.js';
import { classify, isTlsRejection, unavailable } from '../../../../src/datastore/etcd/errors.js';

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

describe('etcd driver conversions', () => {
  it('maps every compare target and operator onto etcd\'s enums and oneof fields', () => {
    assert.deepEqual(compare({ key: 'k', target: 'modRevision', op: '=', value: 5 }), { result: 'Equal', target: 'Mod', key: Buffer.from('k'), mod_revision: '5' });
    assert.deepEqual(compare({ key: 'k', target: 'createRevision', op: '<', value: 1 }), { result: 'Less', target: 'Create', key: Buffer.from('k'), create_revision: '1' });
    assert.deepEqual(compare({ key: 'k', target: 'version', op: '>', value: 2 }), { result: 'Greater', target: 'Version', key: Buffer.from('k'), version: '2' });
    assert.deepEqual(compare({ key: 'k', target: 'lease', op: '!=', value: 0 }), { result: 'NotEqual', target: 'Lease', key: Buffer.from('k'), lease: '0' });
    assert.deepEqual(compare({ key: 'k', target: 'value', op: '=', value: new Uint8Array([1, 2]) }).value, Buffer.from([1, 2]));
  });

  it('sends limit and revision only when set, and passes keys-only and count-only', () => {
    assert.deepEqual(rangeRequest({ key: 'a' }), { key: Buffer.from('a'), keys_only: false, count_only: false });
    assert.deepEqual(rangeRequest({ key: 'a', rangeEnd: 'b', limit: 10, revision: 7, keysOnly: true }), {
      key: Buffer.from('a'),
      range_end: Buffer.from('b'),
      limit: '10',
      revision: '7',
      keys_only: true,
      count_only: false,
    });
  });

  it('builds put, delete and range operations, and reads their results back', () => {
    assert.deepEqual(requestOp({ type: 'put', key: 'k', value: new Uint8Array([9]), prevKv: true }), { request_put: { key: Buffer.from('k'), value: Buffer.from([9]), lease: '0', prev_kv: true } });
    assert.deepEqual(requestOp({ type: 'delete', range: { key: 'a', rangeEnd: 'b' } }), { request_delete_range: { key: Buffer.from('a'), range_end: Buffer.from('b'), prev_kv: false } });
    const kv = { key: Buffer.from('k'), value: Buffer.from('v'), create_revision: '3', mod_revision: '4', version: '2', lease: '0' };
    assert.deepEqual(responseOp({ response_put: { header: { revision: '4' }, prev_kv: kv } }), { type: 'put', prevKv: toKeyValue(kv) });
    assert.deepEqual(responseOp({ response_delete_range: { header: { revision: '5' }, deleted: '1', prev_kvs: [] } }), { type: 'delete', deleted: 1 });
    assert.throws(() => responseOp({ response: 'response_txn' }), /unexpected kind/);
  });

  it('returns values as plain Uint8Arrays over the received bytes, with numeric revisions', () => {
    const kv = toKeyValue({ key: Buffer.from('/registry/x'), value: Buffer.from('abc'), create_revision: '10', mod_revision: '12', version: '3', lease: '77' });
    assert.equal(Object.getPrototypeOf(kv.value), Uint8Array.prototype);
    assert.deepEqual(kv, { key: '/registry/x', value: new Uint8Array([97, 98, 99]), createRevision: 10, modRevision: 12, version: 3, lease: 77 });
  });
});

describe('etcd driver errors', () => {
  it('recognises etcd\'s revision, lease and size errors by their fixed messages', () => {
    assert.equal(classify(grpcError(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted')), 'compacted');
    assert.equal(classify(grpcError(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision')), 'future-revision');
    assert.equal(classify(grpcError(status.NOT_FOUND, 'etcdserver: requested lease not found')), 'lease-not-found');
    assert.equal(classify(grpcError(status.INVALID_ARGUMENT, 'etcdserver: request is too large')), 'too-large');
    assert.equal(classify(grpcError(status.UNAVAILABLE, 'No connection established')), 'unavailable');
    assert.equal(classify(new Error('plain')), 'other');
  });

  it('puts grpc details on one line without the timestamp and empty resolution note', () => {
    const err = grpcError(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379\n (2026-11-25T19:11:32.134Z). Resolution note: ');
    assert.equal(unavailable('connecting', 'http://127.0.0.1:2379', err).message, 'etcd datastore: connecting failed at http://127.0.0.1:2379: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379');
  });

  it('treats a refused TLS handshake as final and a refused connection as worth retrying', () => {
    assert.equal(isTlsRejection(grpcError(status.UNAVAILABLE, 'Last error: 0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate')), true);
    assert.equal(isTlsRejection(grpcError(status.UNAVAILABLE, 'Last error: self-signed certificate in certificate chain')), true);
    assert.equal(isTlsRejection(grpcError(status.UNAVAILABLE, 'Last error: connect ECONNREFUSED 127.0.0.1:2379')), false);
  });
});
