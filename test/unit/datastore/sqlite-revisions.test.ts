import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyExistsError, MAX_KEY_BYTES, TooLargeError, prefixRange } from '../../../src/datastore/types.js';
import { dec, enc, openStore } from './sqlite-fixture.js';

describe('sqlite revisions', () => {
  it('numbers revisions 1, 2, 3 ... one per successful write', async (t) => {
    const s = await openStore(t);
    assert.equal(await s.currentRevision(), 0);
    assert.equal((await s.create('/a', enc('1'))).revision, 1);
    assert.equal((await s.update('/a', enc('2'), 1)).revision, 2);
    assert.equal((await s.update('/a', enc('x'), 1)).succeeded, false);
    await assert.rejects(s.create('/a', enc('3')), KeyExistsError);
    assert.equal((await s.delete('/a')).revision, 3);
    assert.equal((await s.create('/a', enc('4'))).revision, 4);
    assert.equal(await s.currentRevision(), 4);
  });

  it('a transaction with two puts takes two consecutive revisions and reports the last', async (t) => {
    const s = await openStore(t);
    const res = await s.txn([], [{ type: 'put', key: '/x', value: enc('1') }, { type: 'put', key: '/y', value: enc('2') }], []);
    assert.equal(res.revision, 2);
    assert.equal((await s.get('/x')).kv?.modRevision, 1);
    assert.equal((await s.get('/y')).kv?.modRevision, 2);
  });

  it('tracks version and create revision across updates, delete and recreate', async (t) => {
    const s = await openStore(t);
    await s.create('/k', enc('a'));
    await s.update('/k', enc('b'), 1);
    await s.update('/k', enc('c'), 2);
    assert.deepEqual(pick((await s.get('/k')).kv), { createRevision: 1, modRevision: 3, version: 3 });
    await s.delete('/k');
    await s.create('/k', enc('d'));
    assert.deepEqual(pick((await s.get('/k')).kv), { createRevision: 5, modRevision: 5, version: 1 });
    assert.deepEqual(pick((await s.get('/k', 3)).kv), { createRevision: 1, modRevision: 3, version: 3 });
    assert.equal((await s.get('/k', 4)).kv, undefined);
  });

  it('orders keys by bytes and treats rangeEnd "\\0" as "to the end"', async (t) => {
    const s = await openStore(t);
    for (const k of ['/a/', '/a/b', '/a0', '/a', '/b', '/B']) await s.create(k, enc(k));
    const all = await s.range({ key: '/', rangeEnd: '\0' });
    assert.deepEqual(all.kvs.map((kv) => kv.key), ['/B', '/a', '/a/', '/a/b', '/a0', '/b']);
    const from = await s.range({ key: '/a0', rangeEnd: '\0' });
    assert.deepEqual(from.kvs.map((kv) => kv.key), ['/a0', '/b']);
    assert.deepEqual((await s.range(prefixRange('/a/'))).kvs.map((kv) => kv.key), ['/a/', '/a/b']);
  });

  it('paginates a large range with limit and continue keys at a fixed revision, while writes go on', async (t) => {
    const s = await openStore(t);
    for (let i = 0; i < 250; i++) await s.create(`/p/${String(i).padStart(3, '0')}`, enc(String(i)));
    const first = await s.range({ ...prefixRange('/p/'), limit: 100 });
    assert.equal(first.count, 250);
    // Writes after the first page must not show up in later pages read at its revision.
    await s.create('/p/000a', enc('late'));
    await s.delete('/p/200');
    const seen = first.kvs.map((kv) => kv.key);
    let last = first;
    while (last.more) {
      last = await s.range({ key: `${seen[seen.length - 1]}\0`, rangeEnd: prefixRange('/p/').rangeEnd, limit: 100, revision: first.revision });
      seen.push(...last.kvs.map((kv) => kv.key));
    }
    assert.equal(seen.length, 250);
    assert.ok(!seen.includes('/p/000a'));
    assert.ok(seen.includes('/p/200'));
  });

  it('a limited range skips keys whose newest row is a delete, however many come first', async (t) => {
    const s = await openStore(t);
    for (let i = 0; i < 40; i++) await s.create(`/t/${String(i).padStart(2, '0')}`, enc(String(i)));
    for (let i = 0; i < 30; i++) if (i < 25 || i % 2 === 0) await s.delete(`/t/${String(i).padStart(2, '0')}`);
    // Live: 25, 27, 29, 30..39 (13 keys).
    const page = await s.range({ ...prefixRange('/t/'), limit: 3 });
    assert.deepEqual(page.kvs.map((kv) => kv.key), ['/t/25', '/t/27', '/t/29']);
    assert.equal(page.more, true);
    assert.equal(page.count, 13);
    const rest = await s.range({ key: '/t/29\0', rangeEnd: prefixRange('/t/').rangeEnd, limit: 10 });
    assert.deepEqual(rest.kvs.map((kv) => kv.key), Array.from({ length: 10 }, (_, i) => `/t/${30 + i}`));
    assert.equal(rest.more, false);
    // As of before the deletes, every key is there.
    assert.equal((await s.range({ ...prefixRange('/t/'), limit: 5, revision: 40 })).count, 40);
  });

  it('rejects an oversized key and an empty key before writing', async (t) => {
    const s = await openStore(t);
    await assert.rejects(s.create('/' + 'k'.repeat(MAX_KEY_BYTES), enc('v')), TooLargeError);
    await assert.rejects(s.create('', enc('v')), /key must not be empty/);
    assert.equal(await s.currentRevision(), 0);
  });

  it('keeps values as exact bytes (no text conversion)', async (t) => {
    const s = await openStore(t);
    const bytes = new Uint8Array([0, 255, 0xc3, 0x28, 10, 0]);
    await s.create('/bin', bytes);
    assert.deepEqual([...(await s.get('/bin')).kv!.value], [...bytes]);
    assert.equal(dec((await s.range({ key: '/bin', keysOnly: true })).kvs[0]?.value), '');
  });
});

function pick(kv: { createRevision: number; modRevision: number; version: number } | undefined) {
  return kv && { createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version };
}

describe('sqlite group commit', () => {
  it('a write requested just before close is committed and answered, not dropped', async (t) => {
    const s = await openStore(t);
    const pending = s.create('/last', enc('x'));
    await s.close();
    assert.equal((await pending).revision, 1);
    const again = await openStore(t, { dataDir: s.dataDir });
    assert.equal(dec((await again.get('/last')).kv?.value), 'x');
  });

  it('writes issued together share a commit, yet one that fails rolls back alone', async (t) => {
    const s = await openStore(t);
    await s.create('/exists', enc('0'));
    const results = await Promise.allSettled([
      s.create('/a', enc('a')),
      s.create('/exists', enc('dup')),
      s.txn([{ key: '/a', target: 'version', op: '=', value: 1 }], [{ type: 'put', key: '/b', value: enc('b') }], []),
      s.update('/exists', enc('1'), 1),
      s.create('/c', enc('x'.repeat(10))),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    assert.equal((await s.get('/exists')).kv?.version, 2);
    assert.equal(dec((await s.get('/exists')).kv?.value), '1');
    assert.equal(dec((await s.get('/b')).kv?.value), 'b', 'a txn sees the write queued before it in the same batch');
    // Revisions stay contiguous: the failed create left no hole.
    assert.deepEqual((await s.range({ key: '/', rangeEnd: '\0' })).kvs.map((kv) => kv.modRevision).sort((x, y) => x - y), [2, 3, 4, 5]);
  });
});
