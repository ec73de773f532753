import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { prefixRange, type RangeResult } from '../../../src/datastore/types.js';
import { waitFor } from '../../helpers/index.js';
import { enc, openStore } from './sqlite-fixture.js';

/** A random history over a few keys: creates, updates, deletes, recreates. */
async function churn(s: Awaited<ReturnType<typeof openStore>>, writes: number): Promise<void> {
  let n = 0;
  while (n < writes) {
    const key = `/k/${Math.floor(Math.random() * 6)}`;
    const { kv } = await s.get(key);
    if (!kv) await s.create(key, enc(`c${n}`));
    else if (Math.random() < 0.2) await s.delete(key);
    else await s.update(key, enc(`u${n}`), kv.modRevision);
    n++;
  }
}

function view(r: RangeResult): string[] {
  return r.kvs.map((kv) => `${kv.key}=${Buffer.from(kv.value).toString()}@${kv.createRevision}/${kv.modRevision}/v${kv.version}`);
}

describe('sqlite compaction', () => {
  it('every read at or after the compact revision is unchanged, at every batch boundary', async (t) => {
    const s = await openStore(t, { compactBatch: 7 });
    await churn(s, 120);
    const current = await s.currentRevision();
    const before = new Map<number, string[]>();
    for (let rev = 1; rev <= current; rev++) before.set(rev, view(await s.range({ ...prefixRange('/k/'), revision: rev })));
    for (const floor of [13, 14, 50, 51, 100, current]) {
      await s.compact(floor);
      assert.equal(await s.compactRevision(), floor);
      for (let rev = floor; rev <= current; rev++) {
        assert.deepEqual(view(await s.range({ ...prefixRange('/k/'), revision: rev })), before.get(rev), `range at ${rev} after compacting to ${floor}`);
      }
    }
  });

  it('removes superseded rows and old tombstones, keeping the newest row of each live key', async (t) => {
    const s = await openStore(t, { compactBatch: 5 });
    await churn(s, 200);
    const live = (await s.range(prefixRange('/k/'))).count;
    const current = await s.currentRevision();
    await s.compact(current);
    await s.close();
    const db = new Database(join(s.dataDir, 'server/db/state.db'), { readonly: true });
    t.after(() => db.close());
    const rows = db.prepare('SELECT id, deleted FROM kv_log').all() as { id: number; deleted: number }[];
    // Live keys' newest rows, plus at most the tombstone at the compact revision itself.
    assert.ok(rows.length === live || (rows.length === live + 1 && rows.some((r) => r.deleted === 1 && r.id === current)), `${rows.length} rows left for ${live} live keys`);
  });

  it('the timer compacts to current minus the retained revisions, and the floor survives a restart', async (t) => {
    const s = await openStore(t, { compactIntervalMs: 30, compactRetain: 20, compactBatch: 8 });
    await churn(s, 100);
    await waitFor('timed compaction', async () => (await s.compactRevision()) >= 80, 5000, 10);
    assert.equal(await s.compactRevision(), (await s.currentRevision()) - 20);
    await s.close();
    const again = await openStore(t, { dataDir: s.dataDir });
    assert.equal(await again.compactRevision(), 80);
    assert.equal(await again.currentRevision(), 100);
  });

  it('revisions keep increasing after the newest rows were compacted away', async (t) => {
    const s = await openStore(t);
    await s.create('/x', enc('1'));
    await s.delete('/x');
    await s.create('/y', enc('1'));
    await s.delete('/y');
    await s.compact(4);
    await s.close();
    const again = await openStore(t, { dataDir: s.dataDir });
    assert.equal(await again.currentRevision(), 4);
    assert.equal((await again.create('/z', enc('1'))).revision, 5);
  });

  it('checkpoints the WAL so the -wal file does not keep its peak size', async (t) => {
    const s = await openStore(t, { compactIntervalMs: 50, compactRetain: 10 });
    const big = new Uint8Array(64 * 1024);
    // One large transaction: the WAL must hold all of it until commit, past the autocheckpoint size.
    await s.txn([], Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, key: `/w/${i}`, value: big })), []);
    const wal = join(s.dataDir, 'server/db/state.db-wal');
    assert.ok(statSync(wal).size > 4 * 1024 * 1024, 'the WAL grew past the autocheckpoint size');
    await waitFor('WAL truncated', () => statSync(wal).size < 1024 * 1024, 5000, 20);
  });

  it('under steady write load the WAL stays bounded and the database stops growing once compaction keeps up', async (t) => {
    const s = await openStore(t, { compactIntervalMs: 50, compactRetain: 500 });
    const wal = join(s.dataDir, 'server/db/state.db-wal');
    const value = new Uint8Array(4096).fill(7);
    let maxWal = 0;
    const sizes: number[] = [];
    // 100 keys rewritten over and over: 40 MiB written in total, a few hundred KiB live.
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, w) => {
          for (let i = 0; i < 100; i++) {
            const key = `/steady/${w}/${i % 10}`;
            const { kv } = await s.get(key);
            if (kv) await s.update(key, value, kv.modRevision);
            else await s.create(key, value);
          }
        }),
      );
      maxWal = Math.max(maxWal, statSync(wal).size);
      // The writers above never yield to timers; give the compaction timer its turn.
      const current = await s.currentRevision();
      await waitFor('compaction to catch up', async () => (await s.compactRevision()) >= current - 500, 10_000, 10);
      sizes.push(await s.dbSize());
    }
    assert.ok(maxWal < 16 * 1024 * 1024, `WAL reached ${maxWal} bytes`);
    // Freed pages are reused: the file stops growing once compaction keeps up.
    assert.ok(sizes[9]! <= sizes[4]! * 1.2, `database kept growing: ${sizes.join(', ')}`);
  });
});
