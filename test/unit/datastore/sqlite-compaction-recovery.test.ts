/**
 * Compaction recovering from its own failures: the executor (a thin wrapper over the real
 * SQLite one) fails chosen write transactions; the timer logs, keeps the floor where the last
 * good batch left it, and finishes on a later tick. Writers are unaffected.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SqlLog } from '../../../src/datastore/sql/log.js';
import type { Program, SqlExecutor } from '../../../src/datastore/sql/dialect.js';
import { SqliteExecutor, openSqliteDatabase, sqliteDialect } from '../../../src/datastore/sqlite/index.js';
import { tempDir, waitFor } from '../../helpers/index.js';
import { enc, quiet } from './sqlite-fixture.js';

class FlakyExecutor implements SqlExecutor {
  readonly serialCommits = true;
  failWrites = 0;
  failures = 0;
  constructor(private readonly inner: SqliteExecutor) {}
  async write<T>(program: () => Program<T>): Promise<T> {
    if (this.failWrites > 0) {
      this.failWrites--;
      this.failures++;
      throw Object.assign(new Error('disk I/O error (injected)'), { name: 'SqliteError', code: 'SQLITE_IOERR' });
    }
    return this.inner.write(program);
  }
  read<T>(program: () => Program<T>): Promise<T> {
    return this.inner.read(program);
  }
  sizeBytes(): Promise<number> {
    return this.inner.sizeBytes();
  }
  maintenance(): Promise<void> {
    return this.inner.maintenance();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

it('timed compaction survives failing transactions and completes on a later tick', async (t) => {
  const db = openSqliteDatabase(join(tempDir(t), 'state.db'));
  const exec = new FlakyExecutor(new SqliteExecutor(db));
  const store = new SqlLog({ dialect: sqliteDialect, executor: exec, description: 'test', compactIntervalMs: 25, compactRetain: 10, compactBatch: 10, leaseCheckIntervalMs: 0, logger: quiet });
  await store.start();
  t.after(() => store.close());
  // 100 updates of 5 keys: plenty of superseded rows.
  for (let i = 0; i < 5; i++) await store.create(`/k/${i}`, enc('0'));
  for (let i = 5; i < 100; i++) {
    const key = `/k/${i % 5}`;
    const { kv } = await store.get(key);
    await store.update(key, enc(String(i)), kv!.modRevision);
  }
  exec.failWrites = 3;
  await waitFor('compaction to 90 after injected failures', async () => (await store.compactRevision()) === 90, 10_000, 10);
  assert.equal(exec.failures, 3);
  // Everything still reads right and writes go on.
  for (let i = 0; i < 5; i++) assert.equal(Buffer.from((await store.get(`/k/${i}`)).kv!.value).toString(), String(95 + i));
  assert.equal((await store.create('/after', enc('x'))).revision, 101);
});
