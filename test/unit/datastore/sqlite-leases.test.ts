import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseNotFoundError, prefixRange, type WatchEvent } from '../../../src/datastore/types.js';
import { enc, openStore } from './sqlite-fixture.js';

describe('sqlite leases (fake clock)', () => {
  it('expires a lease exactly after its TTL, deleting its keys with events watchers see', async (t) => {
    let now = 1_000_000;
    const s = await openStore(t, { now: () => now });
    const { id } = await s.leaseGrant(10);
    await s.create('/l/a', enc('a'), id);
    await s.create('/l/b', enc('b'), id);
    await s.create('/l/keep', enc('k'));
    const events: WatchEvent[] = [];
    s.watch({ ...prefixRange('/l/'), prevKv: true }, { onEvents: (e) => events.push(...e), onError: () => undefined });

    now += 9_999;
    assert.equal(await s.expireLeases(), 0);
    assert.equal((await s.leaseTimeToLive(id)).remaining, 1);
    now += 1;
    assert.equal(await s.expireLeases(), 1);
    assert.deepEqual(events.map((e) => `${e.type} ${e.kv.key} prev=${Buffer.from(e.prevKv!.value).toString()} lease=${e.prevKv!.lease}`), [
      `delete /l/a prev=a lease=${id}`,
      `delete /l/b prev=b lease=${id}`,
    ]);
    assert.deepEqual((await s.range(prefixRange('/l/'))).kvs.map((kv) => kv.key), ['/l/keep']);
    assert.deepEqual(await s.leases(), []);
    await assert.rejects(s.leaseKeepAlive(id), LeaseNotFoundError);
  });

  it('keep-alive restarts the TTL; an expired but not yet reaped lease cannot be kept alive', async (t) => {
    let now = 0;
    const s = await openStore(t, { now: () => now });
    const { id } = await s.leaseGrant(5);
    await s.create('/k', enc('v'), id);
    now = 4_000;
    await s.leaseKeepAlive(id);
    now = 8_500;
    assert.equal(await s.expireLeases(), 0, 'renewed at 4 s, so alive until 9 s');
    assert.equal((await s.leaseTimeToLive(id)).remaining, 1);
    now = 9_000;
    await assert.rejects(s.leaseKeepAlive(id), LeaseNotFoundError);
    assert.equal(await s.expireLeases(), 1);
    assert.equal((await s.get('/k')).kv, undefined);
  });

  it('a key moved to another lease (or none) is not deleted by the old one', async (t) => {
    let now = 0;
    const s = await openStore(t, { now: () => now });
    const { id } = await s.leaseGrant(1);
    const { revision } = await s.create('/moved', enc('v'), id);
    await s.update('/moved', enc('v2'), revision, 0);
    now = 5_000;
    await s.expireLeases();
    assert.equal(Buffer.from((await s.get('/moved')).kv!.value).toString(), 'v2');
  });

  it('leases and their expiry survive a restart', async (t) => {
    let now = 0;
    const s = await openStore(t, { now: () => now });
    await s.leaseGrant(30, 4242);
    await s.create('/p', enc('v'), 4242);
    await s.close();
    const again = await openStore(t, { dataDir: s.dataDir, now: () => now });
    assert.deepEqual(await again.leases(), [4242]);
    assert.deepEqual((await again.leaseTimeToLive(4242)).keys, ['/p']);
    now = 31_000;
    assert.equal(await again.expireLeases(), 1);
    assert.equal((await again.get('/p')).kv, undefined);
  });

  it('granting an existing id fails; granting with a non-positive TTL fails', async (t) => {
    const s = await openStore(t);
    await s.leaseGrant(10, 7);
    await assert.rejects(s.leaseGrant(10, 7), /already exists/);
    await assert.rejects(s.leaseGrant(0), RangeError);
  });
});
