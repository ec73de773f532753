/**
 * What the PostgreSQL and MySQL driver tests share: a logger whose lines a test reads, the
 * behaviour both client/server drivers must show when several k3s servers share one database
 * (and another server leaves id gaps), and when their database server crashes and comes back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { ExternalSqlOptions } from '../../src/datastore/external-sql.js';
import { prefixRange, type Backend, type WatchEvent } from '../../src/datastore/types.js';
import type { SqlServer } from './db-servers.js';
import { waitFor } from './index.js';

interface Cleanup {
  after(fn: () => unknown): void;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A logger whose lines the test can read (to check what is logged, and what never is). */
export function capture(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }) };
}

/** Opens and starts a backend for `endpoint`, closed when the test ends. */
export type OpenBackend = (t: Cleanup, endpoint: string, options?: ExternalSqlOptions) => Promise<Backend>;

/** The driver recovers on its own from its database server's crash and restart, watches included. */
export function databaseRestartSuite(driver: string, startServer: (t: Cleanup) => Promise<SqlServer>, open: OpenBackend): void {
  describe(`${driver} driver when the database goes away`, () => {
    test('after a database crash and restart the same backend serves again, and its watches resume without gaps', async (t) => {
      const own = await startServer(t);
      const database = await own.createDatabase();
      const logs = capture();
      const a = await open(t, own.endpoint(database), { logger: logs.log });
      const b = await open(t, own.endpoint(database));
      const seen: string[] = [];
      const w = a.watch(prefixRange('/crash/'), { onEvents: (e) => seen.push(...e.map((x) => x.kv.key)), onError: (e) => assert.fail(e) });
      t.after(() => w.cancel());
      await a.create('/crash/before', text('1'));
      await own.restart?.(1500);
      // Pooled connections died with the server: the first calls may fail, with an error; the
      // backend recovers on its own (no restart of k3s).
      const retry = async (fn: () => Promise<unknown>): Promise<void> => {
        await waitFor('a write to succeed after the restart', async () => {
          await fn();
          return true;
        }, 15_000, 100);
      };
      await retry(() => b.create('/crash/by-other-server', text('2')));
      await retry(() => a.create('/crash/after', text('3')));
      await waitFor('events after the restart', () => seen.length >= 3, 10_000, 20);
      assert.deepEqual(seen, ['/crash/before', '/crash/by-other-server', '/crash/after']);
      // Polling every 250 ms through a 1.5 s outage: one warning and one recovery line, not one per tick.
      const pollLines = logs.lines.filter((l) => l.includes('datastore rows'));
      assert.equal(pollLines.filter((l) => l.includes('cannot read new datastore rows')).length, 1, pollLines.join(''));
      assert.equal(pollLines.filter((l) => l.includes('works again')).length, 1, pollLines.join(''));
    });
  });
}

/** A plain client connection of the database's own driver, standing in for another k3s server. */
export interface OtherServerConnection {
  query(sql: string, params?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
}

/** How the two SQL dialects differ for what the shared tests do by hand. */
export interface SqlDialect {
  connect(server: SqlServer, database: string): Promise<OtherServerConnection>;
  /** The bind placeholder for the first parameter (`?` or `$1`). */
  placeholder: string;
  begin: string;
  /** A query printing the database's name when it exists. */
  databaseNamed(name: string): string;
}

/**
 * Tests for several k3s servers on one database: call inside the driver's describe, whose
 * before hook has started `server` and made `database` (hence the getter).
 */
export function sharedDatabaseTests(shared: () => { server: SqlServer; database: string }, open: OpenBackend, dialect: SqlDialect): void {
  test('two servers on one database: each sees the other\'s writes in its watches, and conflicting updates have one winner', async (t) => {
    const { server, database } = shared();
    const a = await open(t, server.endpoint(database));
    const b = await open(t, server.endpoint(database));
    const seen: WatchEvent[] = [];
    const w = a.watch({ ...prefixRange('/multi/'), prevKv: true }, { onEvents: (e) => seen.push(...e), onError: (e) => assert.fail(e) });
    t.after(() => w.cancel());
    const { revision } = await b.create('/multi/k', text('from-b'));
    await b.update('/multi/k', text('again-b'), revision);
    await waitFor('a to see b\'s two writes', () => seen.length >= 2, 5000, 20);
    assert.deepEqual(seen.map((e) => `${e.type} ${new TextDecoder().decode(e.kv.value)}`), ['put from-b', 'put again-b']);
    assert.equal((await a.get('/multi/k')).kv?.modRevision, (await b.get('/multi/k')).kv?.modRevision);

    const current = (await a.get('/multi/k')).kv?.modRevision ?? 0;
    const results = await Promise.all([a.update('/multi/k', text('a-wins'), current), b.update('/multi/k', text('b-wins'), current)]);
    assert.equal(results.filter((r) => r.succeeded).length, 1, 'exactly one conditional update wins');
  });

  test('revision ids left by slow or rolled-back transactions of another server: nothing is skipped, nothing invented', async (t) => {
    const { server, database } = shared();
    const backend = await open(t, server.endpoint(database), { gapTimeoutMs: 200 });
    const seen: string[] = [];
    const w = backend.watch(prefixRange('/gap/'), { onEvents: (e) => seen.push(...e.map((x) => `${x.type} ${x.kv.key}`)), onError: (e) => assert.fail(e) });
    t.after(() => w.cancel());
    const other = await dialect.connect(server, database);
    t.after(() => other.end());
    const insertRow = (key: string): Promise<unknown> =>
      other.query(`INSERT INTO kv_log (name, created, deleted, create_revision, prev_revision, version, lease, value, old_value) VALUES (${dialect.placeholder}, 1, 0, 0, 0, 1, 0, '', '')`, [Buffer.from(key)]);

    // Slow: the other server takes the next id and commits well after the gap timeout.
    await other.query(dialect.begin);
    await insertRow('/gap/slow');
    const writing = backend.create('/gap/after-slow', text('x'));
    await new Promise((r) => setTimeout(r, 600));
    await other.query('COMMIT');
    await writing;
    // Rolled back: the id is gone for good; the gap is filled and the next write still flows.
    await other.query(dialect.begin);
    await insertRow('/gap/never');
    await other.query('ROLLBACK');
    await backend.create('/gap/after-rollback', text('y'));
    await waitFor('both writes', () => seen.length >= 3, 5000, 20);
    assert.deepEqual(seen, ['put /gap/slow', 'put /gap/after-slow', 'put /gap/after-rollback']);
    const all = await backend.range(prefixRange('/gap/'));
    assert.deepEqual(all.kvs.map((kv) => kv.key), ['/gap/after-rollback', '/gap/after-slow', '/gap/slow']);
  });

  test('creates the database when it does not exist', async (t) => {
    const { server } = shared();
    const name = `k3s_new_${Date.now()}`;
    const backend = await open(t, server.endpoint(name));
    await backend.create('/created/db', text('yes'));
    assert.ok((await backend.dbSize()) > 0, 'the database size is reported');
    assert.equal((await server.sql(dialect.databaseNamed(name))).trim(), name);
  });
}
