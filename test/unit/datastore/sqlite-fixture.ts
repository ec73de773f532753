/** Opens a real SQLite store in a temp dir for the sqlite-* unit tests. */
import { pino } from 'pino';
import type { TestContext } from 'node:test';
import { parseEndpoint } from '../../../src/datastore/endpoint.js';
import { openSqlite, type SqliteOptions } from '../../../src/datastore/sqlite/index.js';
import type { SqlLog } from '../../../src/datastore/sql/log.js';
import { tempDir } from '../../helpers/index.js';

export const quiet = pino({ level: 'silent' });
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** A started store with timers off unless `options` turns them on; closed when the test ends. */
export async function openStore(t: TestContext, options: Partial<SqliteOptions> = {}): Promise<SqlLog & { dataDir: string }> {
  const dataDir = options.dataDir ?? tempDir(t, 'k3s-sqlite-unit-');
  const store = openSqlite(parseEndpoint(undefined) as Parameters<typeof openSqlite>[0], {
    compactIntervalMs: 0,
    leaseCheckIntervalMs: 0,
    logger: quiet,
    ...options,
    dataDir,
  });
  await store.start();
  t.after(() => store.close());
  return Object.assign(store, { dataDir });
}
