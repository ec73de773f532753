/** One server per SQLite file: the lock is held while the store is open and goes with close. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openBackend, parseEndpoint } from '../../../src/datastore/index.js';
import { enc, openStore, quiet } from './sqlite-fixture.js';

it('a server holding the store blocks a second opener until it closes; the lock goes with close', async (t) => {
  const s = await openStore(t);
  await s.create('/a', enc('1'));
  const file = join(s.dataDir, 'server/db/state.db');
  await assert.rejects(openBackend(parseEndpoint(`sqlite://${file}?busy_timeout=100`), { dataDir: s.dataDir, logger: quiet }), /in use by another process/);
  await s.close();
  const again = await openStore(t, { dataDir: s.dataDir });
  assert.equal((await again.get('/a')).kv?.modRevision, 1);
});
