/**
 * The behavioural suite every datastore driver must pass (sqlite, postgres, mysql, etcd), in
 * the spirit of rootlesskit's port-driver testsuite: one set of tests, run unchanged per driver.
 *
 *   backendSuite('sqlite', async (t) => openBackend(parseEndpoint(...), { dataDir: tempDir(t) }));
 *
 * `open` returns a STARTED Backend for one test; the suite closes it when the test ends
 * (close() must be safe to call twice). Backends may share state between tests (one etcd or
 * database server for the whole file): every test writes under its own random key prefix and
 * only relies on revisions it observed, never on absolute numbers.
 *
 * Lease expiry is checked with real time (TTL 1 s), so a driver must expire leases within a few
 * seconds; compaction tests call compact() directly.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  LeaseNotFoundError,
  MAX_VALUE_BYTES,
  TooLargeError,
  prefixRange,
  type Backend,
  type WatchEvent,
} from '../../src/datastore/types.js';
import { waitFor } from './index.js';

export type OpenBackend = (t: TestContext) => Promise<Backend>;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

interface Fixture {
  store: Backend;
  /** A fresh key prefix for this test, ending in "/". */
  p: string;
}

async function fixture(t: TestContext, open: OpenBackend): Promise<Fixture> {
  const store = await open(t);
  t.after(() => store.close());
  return { store, p: `/suite-${randomBytes(6).toString('hex')}/` };
}

/** Collects a watch's events; `until(n)` waits for n of them. */
function collect(store: Backend, options: Parameters<Backend['watch']>[0]) {
  const events: WatchEvent[] = [];
  let error: Error | undefined;
  const watch = store.watch(options, {
    onEvents: (e) => events.push(...e),
    onError: (e) => (error = e),
  });
  return {
    events,
    get error() {
      return error;
    },
    cancel: () => watch.cancel(),
    until: (n: number, timeoutMs = 10_000) =>
      waitFor(`${n} watch events (have ${events.length})`, () => {
        if (error) throw error;
        return events.length >= n ? events : undefined;
      }, timeoutMs, 5),
  };
}

function brief(e: WatchEvent): string {
  return `${e.type} ${e.kv.key} @${e.kv.modRevision}${e.type === 'put' ? ` =${dec(e.kv.value)}` : ''}`;
}

export function backendSuite(name: string, open: OpenBackend): void {
  describe(`datastore backend suite: ${name}`, () => {
    describe('create, get, update, delete', () => {
      it('creates a key whose create and mod revision are the new revision and version is 1', async (t) => {
        const { store, p } = await fixture(t, open);
        const before = await store.currentRevision();
        const { revision } = await store.create(`${p}a`, enc('one'));
        assert.ok(revision > before, `revision ${revision} must exceed ${before}`);
        assert.equal(await store.currentRevision(), revision);
        const { kv } = await store.get(`${p}a`);
        assert.ok(kv);
        assert.equal(dec(kv.value), 'one');
        assert.equal(kv.createRevision, revision);
        assert.equal(kv.modRevision, revision);
        assert.equal(kv.version, 1);
        assert.equal(kv.lease, 0);
      });

      it('refuses to create a key that exists, and writes nothing', async (t) => {
        const { store, p } = await fixture(t, open);
        await store.create(`${p}a`, enc('one'));
        const rev = await store.currentRevision();
        await assert.rejects(store.create(`${p}a`, enc('two')), KeyExistsError);
        assert.equal(await store.currentRevision(), rev);
        assert.equal(dec((await store.get(`${p}a`)).kv?.value), 'one');
      });

      it('updates only when the expected revision matches, and reports the current value on conflict', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision: r1 } = await store.create(`${p}a`, enc('v1'));
        const ok = await store.update(`${p}a`, enc('v2'), r1);
        assert.equal(ok.succeeded, true);
        assert.ok(ok.revision > r1);
        assert.equal(ok.kv?.modRevision, ok.revision);
        assert.equal(ok.kv?.createRevision, r1);
        assert.equal(ok.kv?.version, 2);

        const stale = await store.update(`${p}a`, enc('v3'), r1);
        assert.equal(stale.succeeded, false);
        assert.equal(dec(stale.kv?.value), 'v2');
        assert.equal(stale.kv?.modRevision, ok.revision);
        assert.equal(stale.revision, await store.currentRevision());
        assert.equal(dec((await store.get(`${p}a`)).kv?.value), 'v2');
      });

      it('update with expected revision 0 creates a missing key and fails on an existing one', async (t) => {
        const { store, p } = await fixture(t, open);
        const created = await store.update(`${p}a`, enc('v1'), 0);
        assert.equal(created.succeeded, true);
        assert.equal(created.kv?.version, 1);
        assert.equal(created.kv?.createRevision, created.revision);
        const again = await store.update(`${p}a`, enc('v2'), 0);
        assert.equal(again.succeeded, false);
        assert.equal(dec(again.kv?.value), 'v1');
        const missing = await store.update(`${p}b`, enc('x'), 12345);
        assert.equal(missing.succeeded, false);
        assert.equal(missing.kv, undefined);
      });

      it('deletes unconditionally or only at the expected revision', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision: r1 } = await store.create(`${p}a`, enc('v1'));
        const wrong = await store.delete(`${p}a`, r1 + 1000);
        assert.equal(wrong.succeeded, false);
        assert.equal(wrong.kv?.modRevision, r1);
        assert.ok((await store.get(`${p}a`)).kv);

        const del = await store.delete(`${p}a`, r1);
        assert.equal(del.succeeded, true);
        assert.ok(del.revision > r1);
        assert.equal(dec(del.kv?.value), 'v1', 'delete returns the deleted value');
        assert.equal((await store.get(`${p}a`)).kv, undefined);

        const { revision: r2 } = await store.create(`${p}b`, enc('x'));
        assert.equal((await store.delete(`${p}b`)).succeeded, true);
        assert.ok(r2 > r1);
      });

      it('deleting a missing key fails without writing a revision', async (t) => {
        const { store, p } = await fixture(t, open);
        await store.create(`${p}other`, enc('x'));
        const rev = await store.currentRevision();
        const res = await store.delete(`${p}missing`);
        assert.equal(res.succeeded, false);
        assert.equal(res.kv, undefined);
        assert.equal(await store.currentRevision(), rev);
      });

      it('a key recreated after delete starts a new incarnation (new create revision, version 1)', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision: r1 } = await store.create(`${p}a`, enc('v1'));
        await store.update(`${p}a`, enc('v2'), r1);
        await store.delete(`${p}a`);
        const { revision: r4 } = await store.create(`${p}a`, enc('v3'));
        const { kv } = await store.get(`${p}a`);
        assert.equal(kv?.createRevision, r4);
        assert.equal(kv?.version, 1);
        assert.equal(dec(kv?.value), 'v3');
      });

      it('stores empty values and binary values byte for byte', async (t) => {
        const { store, p } = await fixture(t, open);
        await store.create(`${p}empty`, new Uint8Array(0));
        const bin = new Uint8Array(256).map((_, i) => i);
        await store.create(`${p}bin`, bin);
        assert.equal((await store.get(`${p}empty`)).kv?.value.byteLength, 0);
        assert.deepEqual(Buffer.from((await store.get(`${p}bin`)).kv!.value), Buffer.from(bin));
      });

      it('rejects values over 1.5 MiB with TooLargeError and stores nothing', async (t) => {
        const { store, p } = await fixture(t, open);
        await store.create(`${p}marker`, enc('x'));
        const rev = await store.currentRevision();
        const big = new Uint8Array(MAX_VALUE_BYTES + 1);
        await assert.rejects(store.create(`${p}big`, big), TooLargeError);
        await assert.rejects(store.update(`${p}marker`, big, rev), TooLargeError);
        await assert.rejects(store.txn([], [{ type: 'put', key: `${p}big`, value: big }], []), TooLargeError);
        assert.equal(await store.currentRevision(), rev);
        assert.equal((await store.get(`${p}big`)).kv, undefined);
      });

      it('a value just under the limit round-trips', async (t) => {
        const { store, p } = await fixture(t, open);
        const value = randomBytes(1024 * 1024);
        await store.create(`${p}mib`, value);
        assert.ok(Buffer.from((await store.get(`${p}mib`)).kv!.value).equals(value));
      });
    });

    describe('reading history', () => {
      it('gets a key as of an earlier revision', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision: r1 } = await store.create(`${p}a`, enc('v1'));
        const { revision: r2 } = await store.update(`${p}a`, enc('v2'), r1);
        const { revision: r3 } = await store.delete(`${p}a`);
        assert.equal(dec((await store.get(`${p}a`, r1)).kv?.value), 'v1');
        assert.equal(dec((await store.get(`${p}a`, r2)).kv?.value), 'v2');
        assert.equal((await store.get(`${p}a`, r3)).kv, undefined);
        assert.equal((await store.get(`${p}a`, r1 - 1)).kv, undefined);
        assert.equal((await store.get(`${p}a`, r1)).revision, r1);
      });

      it('reading a future revision fails with FutureRevisionError', async (t) => {
        const { store, p } = await fixture(t, open);
        await store.create(`${p}a`, enc('v1'));
        const rev = await store.currentRevision();
        await assert.rejects(store.get(`${p}a`, rev + 1000), FutureRevisionError);
        await assert.rejects(store.range({ ...prefixRange(p), revision: rev + 1000 }), FutureRevisionError);
      });

      it('ranges over a prefix in key order with limit, more and count', async (t) => {
        const { store, p } = await fixture(t, open);
        for (const k of ['c', 'a', 'e', 'b', 'd']) await store.create(`${p}${k}`, enc(k));
        await store.create(`${p.slice(0, -1)}x`, enc('outside the prefix'));
        await store.delete(`${p}e`);
        const full = await store.range(prefixRange(p));
        assert.deepEqual(full.kvs.map((kv) => kv.key), ['a', 'b', 'c', 'd'].map((k) => p + k));
        assert.equal(full.count, 4);
        assert.equal(full.more, false);
        assert.equal(full.revision, await store.currentRevision());

        const page = await store.range({ ...prefixRange(p), limit: 2 });
        assert.deepEqual(page.kvs.map((kv) => dec(kv.value)), ['a', 'b']);
        assert.equal(page.more, true);
        assert.equal(page.count, 4);

        // Continue after the last key, as the API server pages.
        const next = await store.range({ key: `${p}b\0`, rangeEnd: prefixRange(p).rangeEnd, limit: 2, revision: page.revision });
        assert.deepEqual(next.kvs.map((kv) => dec(kv.value)), ['c', 'd']);
        assert.equal(next.more, false);

        const exact = await store.range({ ...prefixRange(p), limit: 4 });
        assert.equal(exact.more, false);
        assert.equal(exact.kvs.length, 4);
      });

      it('ranges at an earlier revision see the keys as they were', async (t) => {
        const { store, p } = await fixture(t, open);
        await store.create(`${p}a`, enc('a1'));
        const { revision } = await store.create(`${p}b`, enc('b1'));
        await store.update(`${p}a`, enc('a2'), (await store.get(`${p}a`)).kv!.modRevision);
        await store.delete(`${p}b`);
        await store.create(`${p}c`, enc('c1'));
        const then = await store.range({ ...prefixRange(p), revision });
        assert.deepEqual(then.kvs.map((kv) => `${kv.key.slice(p.length)}=${dec(kv.value)}`), ['a=a1', 'b=b1']);
        assert.equal(then.revision, revision);
        const now = await store.range(prefixRange(p));
        assert.deepEqual(now.kvs.map((kv) => `${kv.key.slice(p.length)}=${dec(kv.value)}`), ['a=a2', 'c=c1']);
      });

      it('counts without values, and lists keys only', async (t) => {
        const { store, p } = await fixture(t, open);
        for (let i = 0; i < 7; i++) await store.create(`${p}${i}`, enc(`value-${i}`));
        const counted = await store.range({ ...prefixRange(p), countOnly: true });
        assert.equal(counted.count, 7);
        assert.equal(counted.kvs.length, 0);
        const keys = await store.range({ ...prefixRange(p), keysOnly: true });
        assert.equal(keys.kvs.length, 7);
        for (const kv of keys.kvs) assert.equal(kv.value.byteLength, 0);
        assert.ok(keys.kvs.every((kv) => kv.modRevision > 0));
      });

      it('a single-key range returns that key only', async (t) => {
        const { store, p } = await fixture(t, open);
        await store.create(`${p}a`, enc('a'));
        await store.create(`${p}ab`, enc('ab'));
        const one = await store.range({ key: `${p}a` });
        assert.deepEqual(one.kvs.map((kv) => kv.key), [`${p}a`]);
        assert.equal(one.count, 1);
      });

      it('failed writes do not advance the revision', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision } = await store.create(`${p}a`, enc('1'));
        await store.update(`${p}a`, enc('2'), revision + 99);
        await store.delete(`${p}a`, revision + 99);
        await assert.rejects(store.create(`${p}a`, enc('3')));
        await store.txn([{ key: `${p}a`, target: 'value', op: '=', value: enc('nope') }], [{ type: 'put', key: `${p}a`, value: enc('4') }], []);
        assert.equal(await store.currentRevision(), revision);
      });
    });

    describe('transactions', () => {
      it('runs the success branch when every compare holds, else the failure branch', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision } = await store.create(`${p}a`, enc('v1'));
        const win = await store.txn(
          [
            { key: `${p}a`, target: 'modRevision', op: '=', value: revision },
            { key: `${p}a`, target: 'version', op: '=', value: 1 },
            { key: `${p}a`, target: 'value', op: '=', value: enc('v1') },
            { key: `${p}a`, target: 'createRevision', op: '<', value: revision + 1 },
          ],
          [{ type: 'put', key: `${p}a`, value: enc('v2'), prevKv: true }],
          [{ type: 'range', range: { key: `${p}a` } }],
        );
        assert.equal(win.succeeded, true);
        assert.ok(win.revision > revision);
        const put = win.results[0];
        assert.equal(put?.type, 'put');
        assert.equal(put?.type === 'put' ? dec(put.prevKv?.value) : undefined, 'v1');

        const lose = await store.txn(
          [{ key: `${p}a`, target: 'modRevision', op: '=', value: revision }],
          [{ type: 'put', key: `${p}a`, value: enc('v3') }],
          [{ type: 'range', range: { key: `${p}a` } }],
        );
        assert.equal(lose.succeeded, false);
        assert.equal(lose.revision, win.revision);
        const got = lose.results[0];
        assert.equal(got?.type === 'range' ? dec(got.result.kvs[0]?.value) : undefined, 'v2');
        assert.equal(dec((await store.get(`${p}a`)).kv?.value), 'v2');
      });

      it('compares on a missing key treat revisions and version as 0 (create-if-absent)', async (t) => {
        const { store, p } = await fixture(t, open);
        const absent = [{ key: `${p}a`, target: 'modRevision' as const, op: '=' as const, value: 0 }];
        const first = await store.txn(absent, [{ type: 'put', key: `${p}a`, value: enc('first') }], []);
        assert.equal(first.succeeded, true);
        const second = await store.txn(absent, [{ type: 'put', key: `${p}a`, value: enc('second') }], []);
        assert.equal(second.succeeded, false);
        assert.equal(dec((await store.get(`${p}a`)).kv?.value), 'first');
        const v = await store.txn([{ key: `${p}zz`, target: 'version', op: '=', value: 0 }], [], []);
        assert.equal(v.succeeded, true);
        const val = await store.txn([{ key: `${p}zz`, target: 'value', op: '=', value: enc('') }], [], []);
        assert.equal(val.succeeded, false, 'a value compare on a missing key fails');
      });

      it('deletes a whole prefix in one transaction and reports what it deleted', async (t) => {
        const { store, p } = await fixture(t, open);
        for (const k of ['a', 'b', 'c']) await store.create(`${p}${k}`, enc(k));
        await store.create(`${p.slice(0, -1)}-keep`, enc('keep'));
        const res = await store.txn([], [{ type: 'delete', range: prefixRange(p), prevKv: true }], []);
        const del = res.results[0];
        assert.equal(del?.type, 'delete');
        assert.equal(del?.type === 'delete' ? del.deleted : -1, 3);
        assert.deepEqual(del?.type === 'delete' ? del.prevKvs?.map((kv) => dec(kv.value)) : [], ['a', 'b', 'c']);
        assert.equal((await store.range(prefixRange(p))).count, 0);
        assert.ok((await store.get(`${p.slice(0, -1)}-keep`)).kv);
      });

      it('concurrent conditional updates of one key: exactly one wins', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision } = await store.create(`${p}a`, enc('0'));
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.update(`${p}a`, enc(`w${i}`), revision)));
        assert.equal(results.filter((r) => r.succeeded).length, 1);
        const winner = results.find((r) => r.succeeded)!;
        assert.equal((await store.get(`${p}a`)).kv?.modRevision, winner.revision);
      });

      it('concurrent creates of distinct keys all land, with distinct revisions', async (t) => {
        const { store, p } = await fixture(t, open);
        const revs = await Promise.all(Array.from({ length: 40 }, (_, i) => store.create(`${p}${String(i).padStart(2, '0')}`, enc(String(i)))));
        assert.equal(new Set(revs.map((r) => r.revision)).size, 40);
        assert.equal((await store.range(prefixRange(p))).count, 40);
      });
    });

    describe('watch', () => {
      it('delivers puts and deletes under a prefix in revision order, each once', async (t) => {
        const { store, p } = await fixture(t, open);
        const w = collect(store, { ...prefixRange(p), prevKv: true });
        t.after(() => w.cancel());
        const { revision: r1 } = await store.create(`${p}a`, enc('1'));
        await store.create(`${p.slice(0, -1)}-not-mine`, enc('x'));
        const { revision: r2 } = await store.update(`${p}a`, enc('2'), r1);
        await store.create(`${p}b`, enc('b'));
        await store.delete(`${p}a`);
        const events = await w.until(4);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(events.map((e) => `${e.type} ${e.kv.key.slice(p.length)}`), ['put a', 'put a', 'put b', 'delete a'], events.map(brief).join(', '));
        assert.equal(events[0]!.kv.modRevision, r1);
        assert.equal(events[1]!.kv.modRevision, r2);
        const revs = events.map((e) => e.kv.modRevision);
        assert.deepEqual(revs, [...revs].sort((a, b) => a - b));
        assert.equal(new Set(revs).size, revs.length);
        const del = events[3]!;
        assert.equal(del.type, 'delete');
        assert.equal(dec(del.prevKv?.value), '2');
        assert.equal(del.prevKv?.modRevision, r2);
        assert.equal(dec(events[1]!.prevKv?.value), '1');
        assert.equal(events[0]!.prevKv, undefined);
      });

      it('omits prevKv unless asked', async (t) => {
        const { store, p } = await fixture(t, open);
        const w = collect(store, { key: `${p}a` });
        t.after(() => w.cancel());
        const { revision } = await store.create(`${p}a`, enc('1'));
        await store.update(`${p}a`, enc('2'), revision);
        const events = await w.until(2);
        assert.equal(events[1]!.prevKv, undefined);
      });

      it('a single-key watch ignores keys that share its prefix', async (t) => {
        const { store, p } = await fixture(t, open);
        const w = collect(store, { key: `${p}a` });
        t.after(() => w.cancel());
        await store.create(`${p}ab`, enc('no'));
        await store.create(`${p}a`, enc('yes'));
        const events = await w.until(1);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(events.map((e) => e.kv.key), [`${p}a`]);
      });

      it('resumes from a past revision: replays history then follows live writes, without gaps or duplicates', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision: start } = await store.create(`${p}0`, enc('0'));
        for (let i = 1; i < 30; i++) await store.create(`${p}${i}`, enc(String(i)));
        const w = collect(store, { ...prefixRange(p), startRevision: start + 1 });
        t.after(() => w.cancel());
        // Writes racing the replay.
        const writes = Array.from({ length: 20 }, (_, i) => store.create(`${p}live-${i}`, enc('l')));
        await Promise.all(writes);
        const events = await w.until(29 + 20);
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(events.length, 49, `got ${events.length} events`);
        assert.equal(events[0]!.kv.modRevision, start + 1);
        const revs = events.map((e) => e.kv.modRevision);
        for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revision order broken at ${i}: ${revs[i - 1]} then ${revs[i]}`);
        assert.equal(new Set(events.map((e) => e.kv.key)).size, 49);
      });

      it('a watch from the current revision + 1 sees only future writes', async (t) => {
        const { store, p } = await fixture(t, open);
        await store.create(`${p}old`, enc('old'));
        const w = collect(store, { ...prefixRange(p), startRevision: (await store.currentRevision()) + 1 });
        t.after(() => w.cancel());
        await store.create(`${p}new`, enc('new'));
        const events = await w.until(1);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(events.map((e) => e.kv.key), [`${p}new`]);
      });

      it('stops delivering after cancel', async (t) => {
        const { store, p } = await fixture(t, open);
        const w = collect(store, prefixRange(p));
        await store.create(`${p}a`, enc('1'));
        await w.until(1);
        w.cancel();
        await store.create(`${p}b`, enc('2'));
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(w.events.length, 1);
      });
    });

    describe('compaction', () => {
      it('keeps the newest value of every key and history at or after the compact revision', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision: r1 } = await store.create(`${p}a`, enc('a1'));
        const { revision: r2 } = await store.update(`${p}a`, enc('a2'), r1);
        await store.create(`${p}gone`, enc('x'));
        await store.delete(`${p}gone`);
        const { revision: r5 } = await store.create(`${p}b`, enc('b1'));
        const { revision: r6 } = await store.update(`${p}a`, enc('a3'), r2);
        await store.compact(r5);
        assert.ok((await store.compactRevision()) >= r5);
        assert.equal(dec((await store.get(`${p}a`)).kv?.value), 'a3');
        assert.equal(dec((await store.get(`${p}a`, r5)).kv?.value), 'a2', 'the value as of the compact revision stays readable');
        assert.equal((await store.get(`${p}gone`, r5)).kv, undefined);
        assert.equal(dec((await store.get(`${p}b`)).kv?.value), 'b1');
        await assert.rejects(store.get(`${p}a`, r1), CompactedError);
        await assert.rejects(store.range({ ...prefixRange(p), revision: r1 }), CompactedError);
        const range = await store.range(prefixRange(p));
        assert.deepEqual(range.kvs.map((kv) => dec(kv.value)), ['a3', 'b1']);
        assert.equal(range.kvs[0]?.modRevision, r6);
        assert.equal(range.kvs[0]?.createRevision, r1, 'create revision survives compaction');
        assert.equal(range.kvs[0]?.version, 3, 'version survives compaction');
      });

      it('a watch from a compacted revision fails with CompactedError; from the compact revision it replays', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision: r1 } = await store.create(`${p}a`, enc('1'));
        const { revision: r2 } = await store.update(`${p}a`, enc('2'), r1);
        const { revision: r3 } = await store.delete(`${p}a`);
        // Compact at the put, not at the delete: etcd drops a key whose newest revision at the
        // compaction point is a tombstone, so a delete AT the floor is not replayable there.
        await store.compact(r2);
        const old = collect(store, { ...prefixRange(p), startRevision: r1 });
        t.after(() => old.cancel());
        await waitFor('CompactedError', () => old.error, 5000, 5);
        assert.ok(old.error instanceof CompactedError, `got ${String(old.error)}`);
        const atFloor = collect(store, { ...prefixRange(p), startRevision: r2 });
        t.after(() => atFloor.cancel());
        const events = await atFloor.until(2);
        assert.deepEqual(events.map((e) => `${e.type}@${e.kv.modRevision}`), [`put@${r2}`, `delete@${r3}`]);
      });

      it('compacting below the compact revision fails; at it is a no-op', async (t) => {
        const { store, p } = await fixture(t, open);
        const { revision: r1 } = await store.create(`${p}a`, enc('1'));
        const { revision: r2 } = await store.update(`${p}a`, enc('2'), r1);
        await store.compact(r2);
        const floor = await store.compactRevision();
        await assert.rejects(store.compact(r1), CompactedError);
        await store.compact(floor);
        await assert.rejects(store.compact((await store.currentRevision()) + 100), FutureRevisionError);
      });
    });

    describe('leases', () => {
      it('attaches keys to a lease; revoking it deletes them and watchers see the deletes', async (t) => {
        const { store, p } = await fixture(t, open);
        const { id } = await store.leaseGrant(60);
        await store.create(`${p}a`, enc('1'), id);
        await store.txn([], [{ type: 'put', key: `${p}b`, value: enc('2'), lease: id }], []);
        await store.create(`${p}c`, enc('stays'));
        assert.equal((await store.get(`${p}a`)).kv?.lease, id);
        const info = await store.leaseTimeToLive(id);
        assert.equal(info.ttl, 60);
        assert.ok(info.remaining > 50 && info.remaining <= 60, `remaining ${info.remaining}`);
        assert.deepEqual([...info.keys].sort(), [`${p}a`, `${p}b`]);
        assert.ok((await store.leases()).includes(id));

        const w = collect(store, prefixRange(p));
        t.after(() => w.cancel());
        await store.leaseRevoke(id);
        const events = await w.until(2);
        assert.deepEqual(events.map((e) => `${e.type} ${e.kv.key}`).sort(), [`delete ${p}a`, `delete ${p}b`]);
        assert.deepEqual((await store.range(prefixRange(p))).kvs.map((kv) => kv.key), [`${p}c`]);
        assert.ok(!(await store.leases()).includes(id));
      });

      it('an expired lease deletes its keys', async (t) => {
        const { store, p } = await fixture(t, open);
        const { id } = await store.leaseGrant(1);
        await store.create(`${p}ttl`, enc('x'), id);
        const w = collect(store, prefixRange(p));
        t.after(() => w.cancel());
        const events = await w.until(1, 15_000);
        assert.equal(events[0]?.type, 'delete');
        assert.equal((await store.get(`${p}ttl`)).kv, undefined);
      });

      it('keep-alive renews a lease; unknown leases are errors', async (t) => {
        const { store, p } = await fixture(t, open);
        const { id } = await store.leaseGrant(30);
        assert.equal((await store.leaseKeepAlive(id)).ttl, 30);
        const unknown = id + 1;
        await assert.rejects(store.leaseKeepAlive(unknown), LeaseNotFoundError);
        await assert.rejects(store.create(`${p}a`, enc('x'), unknown), LeaseNotFoundError);
        assert.equal((await store.get(`${p}a`)).kv, undefined);
      });
    });
  });
}
