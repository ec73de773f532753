/**
 * A state.db written by an earlier release (with the unique (name, prev_revision) index, opened
 * with locking_mode=EXCLUSIVE) still opens with all its data after an in-place upgrade.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { prefixRange } from '../../../src/datastore/types.js';
import { tempDir } from '../../helpers/index.js';
import { dec, enc, openStore } from './sqlite-fixture.js';

/** The schema as the previous release created it. */
const PREVIOUS_SCHEMA = [
  `CREATE TABLE kv_log (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL COLLATE BINARY, created INTEGER NOT NULL, deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL, prev_revision INTEGER NOT NULL, version INTEGER NOT NULL, lease INTEGER NOT NULL, value BLOB NOT NULL, old_value BLOB NOT NULL)`,
  'CREATE UNIQUE INDEX kv_log_name_prev ON kv_log (name, prev_revision)',
  'CREATE INDEX kv_log_name_id ON kv_log (name, id)',
  'CREATE INDEX kv_log_lease ON kv_log (lease) WHERE lease != 0',
  'CREATE TABLE kv_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)',
  'CREATE TABLE kv_lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, expires_at INTEGER NOT NULL)',
];

it('a state.db from the previous release opens with its data, drops the unused index, and takes writes', async (t) => {
  const dataDir = tempDir(t, 'k3s-sqlite-upgrade-');
  mkdirSync(join(dataDir, 'server/db'), { recursive: true });
  const file = join(dataDir, 'server/db/state.db');
  const old = new Database(file);
  old.pragma('locking_mode = EXCLUSIVE');
  old.pragma('journal_mode = WAL');
  for (const ddl of PREVIOUS_SCHEMA) old.exec(ddl);
  const insert = old.prepare('INSERT INTO kv_log (name, created, deleted, create_revision, prev_revision, version, lease, value, old_value) VALUES (?, ?, 0, ?, ?, ?, 0, ?, ?)');
  insert.run('/a', 1, 0, 0, 1, enc('a1'), enc(''));
  insert.run('/b', 1, 0, 0, 1, enc('b1'), enc(''));
  insert.run('/a', 0, 1, 1, 2, enc('a2'), enc('a1'));
  old.close();

  const store = await openStore(t, { dataDir });
  assert.equal(await store.currentRevision(), 3);
  const { kvs } = await store.range(prefixRange('/'));
  assert.deepEqual(kvs.map((kv) => [kv.key, dec(kv.value), kv.createRevision, kv.modRevision, kv.version]), [
    ['/a', 'a2', 1, 3, 2],
    ['/b', 'b1', 2, 2, 1],
  ]);
  const updated = await store.update('/a', enc('a3'), 3);
  assert.deepEqual([updated.succeeded, updated.revision], [true, 4]);
  assert.equal((await store.create('/c', enc('c1'))).revision, 5);
  await store.close();

  const check = new Database(file, { readonly: true });
  t.after(() => check.close());
  const indexes = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'kv_log' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  assert.deepEqual(indexes, ['kv_log_lease', 'kv_log_name_id']);
  assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
});
