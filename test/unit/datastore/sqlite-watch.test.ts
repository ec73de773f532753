import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, prefixRange, type WatchEvent } from '../../../src/datastore/types.js';
import { waitFor } from '../../helpers/index.js';
import { enc, openStore } from './sqlite-fixture.js';

function recorder() {
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  return { events, errors, listener: { onEvents: (e: readonly WatchEvent[]) => events.push(...e), onError: (e: Error) => errors.push(e) } };
}

describe('sqlite watch', () => {
  it('delivers events synchronously with the commit, before the write resolves', async (t) => {
    const s = await openStore(t);
    const r = recorder();
    s.watch(prefixRange('/'), r.listener);
    await s.create('/a', enc('1'));
    assert.equal(r.events.length, 1, 'no polling delay: the event is there when the write returns');
  });

  it('16 concurrent writers: every event exactly once, in revision order, to every watcher', async (t) => {
    const s = await openStore(t);
    const watchers = Array.from({ length: 5 }, () => recorder());
    for (const w of watchers) s.watch(prefixRange('/w/'), w.listener);
    await Promise.all(
      Array.from({ length: 16 }, async (_, n) => {
        for (let i = 0; i < 25; i++) await s.create(`/w/${n}/${i}`, enc('x'));
      }),
    );
    for (const w of watchers) {
      const revs = w.events.map((e) => e.kv.modRevision);
      assert.deepEqual(revs, Array.from({ length: 400 }, (_, i) => i + 1));
    }
  });

  it('resuming from any revision yields exactly the events from that revision on', async (t) => {
    const s = await openStore(t);
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 2) await s.delete(`/r/${i - 1}`);
      else await s.create(`/r/${i}`, enc(String(i)));
    }
    const current = await s.currentRevision();
    for (let start = 1; start <= current; start++) {
      const r = recorder();
      const w = s.watch({ ...prefixRange('/r/'), startRevision: start }, r.listener);
      await waitFor(`replay from ${start}`, () => r.events.length === current - start + 1 || r.errors[0], 5000, 2);
      w.cancel();
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.events.map((e) => e.kv.modRevision), Array.from({ length: current - start + 1 }, (_, i) => start + i));
    }
  });

  it('replays more than one page of history while new writes arrive, with no gap or duplicate', async (t) => {
    const s = await openStore(t);
    for (let i = 0; i < 2500; i++) await s.create(`/big/${i}`, enc('x'));
    const r = recorder();
    s.watch({ ...prefixRange('/big/'), startRevision: 1 }, r.listener);
    for (let i = 2500; i < 2600; i++) await s.create(`/big/${i}`, enc('x'));
    await waitFor('2600 events', () => r.events.length >= 2600 || r.errors[0], 10_000, 5);
    assert.deepEqual(r.events.map((e) => e.kv.modRevision), Array.from({ length: 2600 }, (_, i) => i + 1));
  });

  it('a listener that throws is cancelled; other watchers and the writer are unaffected', async (t) => {
    const s = await openStore(t);
    let calls = 0;
    s.watch(prefixRange('/'), {
      onEvents: () => {
        calls++;
        throw new Error('boom');
      },
      onError: () => undefined,
    });
    const good = recorder();
    s.watch(prefixRange('/'), good.listener);
    await s.create('/a', enc('1'));
    await s.create('/b', enc('2'));
    assert.equal(calls, 1);
    assert.equal(good.events.length, 2);
  });

  it('a watch racing compaction past its start revision ends with CompactedError', async (t) => {
    const s = await openStore(t);
    for (let i = 0; i < 20; i++) await s.create(`/c/${i % 4}`, enc(String(i)), 0).catch(() => s.update(`/c/${i % 4}`, enc(String(i)), 0));
    for (let i = 0; i < 20; i++) {
      const { kv } = await s.get(`/c/${i % 4}`);
      await s.update(`/c/${i % 4}`, enc(`u${i}`), kv!.modRevision);
    }
    await s.compact(10);
    const r = recorder();
    s.watch({ ...prefixRange('/c/'), startRevision: 5 }, r.listener);
    await waitFor('error', () => r.errors[0], 2000, 2);
    assert.ok(r.errors[0] instanceof CompactedError);
    assert.equal((r.errors[0] as CompactedError).compactRevision, 10);
    assert.equal(r.events.length, 0);
  });

  it('closing the store ends open watches without further events', async (t) => {
    const s = await openStore(t);
    const r = recorder();
    s.watch(prefixRange('/'), r.listener);
    await s.create('/a', enc('1'));
    await s.close();
    await assert.rejects(s.create('/b', enc('2')), /closed/);
    assert.equal(r.events.length, 1);
  });
});
