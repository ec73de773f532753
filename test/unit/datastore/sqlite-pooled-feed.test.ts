/**
 * The generic log's feed for pooled databases (postgres, mysql), exercised on SQLite: two log
 * instances share one database as two servers would, with serialCommits off, so each learns
 * about writes (its own and the other's) by reading rows after the last published revision.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SqlLog } from '../../../src/datastore/sql/log.js';
import { run, type Program, type SqlExecutor } from '../../../src/datastore/sql/dialect.js';
import { SqliteExecutor, openSqliteDatabase, sqliteDialect } from '../../../src/datastore/sqlite/index.js';
import { prefixRange, type WatchEvent } from '../../../src/datastore/types.js';
import { tempDir, waitFor } from '../../helpers/index.js';
import { enc, quiet } from './sqlite-fixture.js';

/** The real SQLite executor, presented as a pooled database (commit order not guaranteed). */
class PooledView implements SqlExecutor {
  readonly serialCommits = false;
  constructor(readonly inner: SqliteExecutor) {}
  write<T>(program: () => Program<T>): Promise<T> {
    return this.inner.write(program);
  }
  read<T>(program: () => Program<T>): Promise<T> {
    return this.inner.read(program);
  }
  sizeBytes(): Promise<number> {
    return this.inner.sizeBytes();
  }
  async close(): Promise<void> {
    // shared: closed by the test
  }
}

it('a server sees writes made by another server through the polled feed, in order, once', async (t) => {
  const inner = new SqliteExecutor(openSqliteDatabase(join(tempDir(t), 'state.db')));
  t.after(() => inner.close());
  const open = async (): Promise<SqlLog> => {
    const log = new SqlLog({ dialect: sqliteDialect, executor: new PooledView(inner), description: 'pooled', compactIntervalMs: 0, leaseCheckIntervalMs: 0, pollIntervalMs: 20, gapTimeoutMs: 100, logger: quiet });
    await log.start();
    t.after(() => log.close());
    return log;
  };
  const a = await open();
  const b = await open();
  const seenByB: WatchEvent[] = [];
  b.watch(prefixRange('/'), { onEvents: (e) => seenByB.push(...e), onError: (e) => assert.fail(e) });
  for (let i = 0; i < 50; i++) await (i % 2 === 0 ? a : b).create(`/k/${i}`, enc(String(i)));
  await waitFor('50 events at b', () => seenByB.length >= 50, 5000, 5);
  assert.deepEqual(seenByB.map((e) => e.kv.modRevision), Array.from({ length: 50 }, (_, i) => i + 1));
  assert.equal(await b.currentRevision(), 50);

  // A hole in the ids (a rolled-back insert on a real pooled database): the feed waits briefly,
  // then skips it and delivers what follows.
  const holeId = await inner.write(function* () {
    yield* run("INSERT INTO kv_log (name, created, deleted, create_revision, prev_revision, version, lease, value, old_value) VALUES ('/hole', 1, 0, 0, 0, 1, 0, x'', x'')");
    const rows = (yield { kind: 'all', sql: 'SELECT MAX(id) AS id FROM kv_log', params: [] }) as { id: number }[];
    yield* run('DELETE FROM kv_log WHERE id = ?', [rows[0]!.id]);
    return rows[0]!.id;
  });
  assert.equal(holeId, 51);
  await a.create('/after-hole', enc('x'));
  await waitFor('the write after the hole at b', () => seenByB.some((e) => e.kv.key === '/after-hole'), 5000, 5);
  assert.equal(seenByB[seenByB.length - 1]!.kv.modRevision, 52);
  assert.equal(seenByB.length, 51);
});
