/**
 * What the PostgreSQL and MySQL driver tests share: a logger whose lines a test reads, and the
 * behaviour both client/server drivers must show when their database server crashes and
 * comes back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { ExternalSqlOptions } from '../../src/datastore/external-sql.js';
import { prefixRange, type Backend } from '../../src/datastore/types.js';
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
