/**
 * Opening the SQLite datastore in bad states: a corrupt file, a read-only filesystem, a file
 * another server holds, wrong endpoint parameters. Each fails with a DatastoreOpenError that
 * names the file and the fix, and leaves the file byte for byte as it was.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import Database from 'better-sqlite3';
import { parseEndpoint } from '../../../src/datastore/endpoint.js';
import { createBackend, openBackend } from '../../../src/datastore/registry.js';
import { DatastoreOpenError } from '../../../src/datastore/types.js';
import { BUILD_ROOT, run, tempDir } from '../../helpers/index.js';
import { createTestUser } from '../../helpers/users.js';

const logger = pino({ level: 'silent' });

async function openFails(t: { after(fn: () => unknown): void }, endpoint: string, dataDir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(
    async () => {
      const b = await openBackend(parseEndpoint(endpoint), { dataDir, logger });
      t.after(() => b.close());
    },
    (err: unknown) => {
      assert.ok(err instanceof DatastoreOpenError, `expected DatastoreOpenError, got ${String(err)}`);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

/** A valid state.db with some rows, closed. */
async function populated(dir: string): Promise<string> {
  const file = join(dir, 'state.db');
  const b = await openBackend(parseEndpoint(`sqlite://${file}`), { dataDir: dir, logger });
  for (let i = 0; i < 300; i++) await b.create(`/registry/x/${i}`, randomBytes(2048));
  await b.close();
  return file;
}

describe('sqlite datastore: opening in bad states', () => {
  it('creates <data-dir>/server/db/state.db by default', async (t) => {
    const dataDir = tempDir(t);
    const b = await openBackend(parseEndpoint(undefined), { dataDir, logger });
    await b.create('/a', new Uint8Array([1]));
    await b.close();
    assert.ok(existsSync(join(dataDir, 'server/db/state.db')));
  });

  it('a file that is not a database: clear error naming the file, file untouched', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'state.db');
    const junk = randomBytes(16 * 1024);
    writeFileSync(file, junk);
    await openFails(t, `sqlite://${file}`, dir, new RegExp(`${file} is not a valid SQLite database.*left untouched.*(backup|snapshot)`));
    assert.ok(readFileSync(file).equals(junk));
    assert.ok(!existsSync(`${file}-wal`));
  });

  it('a database with damaged pages behind a good header: clear error, file untouched', async (t) => {
    const dir = tempDir(t);
    const file = await populated(dir);
    const bytes = readFileSync(file);
    // Garble pages in the middle (page size 4096), leaving page 1 (header, schema) intact.
    randomBytes(8 * 4096).copy(bytes, 20 * 4096);
    writeFileSync(file, bytes);
    await openFails(t, `sqlite://${file}`, dir, new RegExp(`${file} is not a valid SQLite database`));
    assert.ok(readFileSync(file).equals(bytes));
  });

  it('a database on a read-only filesystem: clear error, nothing written', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to mount a read-only tmpfs');
    const mnt = mkdtempSync(join(tmpdir(), 'k3s-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    t.after(() => {
      execFileSync('umount', ['-l', mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });
    const file = await populated(mnt);
    const before = readFileSync(file);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    await openFails(t, `sqlite://${file}`, mnt, /read-only filesystem; remount it read-write or choose another --data-dir/);
    assert.ok(readFileSync(file).equals(before));
  });

  it('a file or directory this user may not write: clear error naming the fix, nothing written', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to create a test user');
    const user = createTestUser(t, 'k3sds');
    const dir = tempDir(t);
    chmodSync(dir, 0o755);
    const file = await populated(dir);
    chmodSync(file, 0o644);
    const before = readFileSync(file);
    const registry = join(BUILD_ROOT, 'src/datastore/index.js');
    // The user's own process opens the root-owned file, as a k3s server started by that user would.
    const script = `import { openBackend, parseEndpoint } from ${JSON.stringify(registry)};
      try { await openBackend(parseEndpoint(process.argv[1]), { dataDir: process.argv[2] }); console.log('opened'); }
      catch (e) { console.log(e.name + ': ' + e.message); }`;
    const asUser = (endpoint: string) => run(user.runAs[0]!, [...user.runAs.slice(1), process.execPath, '--input-type=module', '-e', script, endpoint, dir]);
    const fileRes = await asUser(`sqlite://${file}`);
    assert.match(fileRes.stdout, new RegExp(`DatastoreOpenError: the SQLite datastore ${file} is read-only for this user; make it writable \\(chmod u\\+w`), fileRes.stderr);
    const dirRes = await asUser(`sqlite://${join(dir, 'new.db')}`);
    assert.match(dirRes.stdout, new RegExp(`DatastoreOpenError: the datastore directory ${dir} is not writable for this user`), dirRes.stderr);
    assert.ok(readFileSync(file).equals(before));
    assert.ok(!existsSync(join(dir, 'new.db')));
  });

  it('a file another server has open: "in use" error instead of a second writer', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'state.db');
    const first = await openBackend(parseEndpoint(`sqlite://${file}`), { dataDir: dir, logger });
    t.after(() => first.close());
    await first.create('/a', new Uint8Array([1]));
    await openFails(t, `sqlite://${file}?busy_timeout=100`, dir, /in use by another process/);
    // The first server is unaffected.
    assert.equal((await first.create('/b', new Uint8Array([2]))).revision, 2);
  });

  it('a database another process holds in an open read: waits for the busy timeout, then works', async (t) => {
    const dir = tempDir(t);
    const file = await populated(dir);
    const reader = new Database(file, { readonly: true });
    t.after(() => reader.close());
    assert.equal((reader.prepare('SELECT COUNT(*) AS n FROM kv_log').get() as { n: number }).n, 300);
    reader.close();
    const b = await openBackend(parseEndpoint(`sqlite://${file}`), { dataDir: dir, logger });
    t.after(() => b.close());
    assert.equal(await b.currentRevision(), 300);
  });

  it('a directory where the file should be, and unknown parameters, are rejected clearly', async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'db.sqlite'));
    await openFails(t, `sqlite://${join(dir, 'db.sqlite')}`, dir, /is a directory, not an SQLite file/);
    await openFails(t, `sqlite://${join(dir, 'x.db')}?synchronous=sometimes`, dir, /synchronous="sometimes" is not one of/);
    await openFails(t, `sqlite://${join(dir, 'x.db')}?nope=1`, dir, /parameter "nope" is not supported/);
    // go-sqlite3 parameters from upstream k3s endpoints are accepted.
    const b = await openBackend(parseEndpoint(`sqlite://${join(dir, 'y.db')}?_journal=WAL&cache=shared`), { dataDir: dir, logger });
    await b.close();
  });

  it('an endpoint for a driver this build lacks fails with the list of available drivers', async () => {
    await assert.rejects(createBackend({ driver: 'nosuch' } as never, { dataDir: '/nonexistent' }), /the nosuch datastore driver is not available in this build; available: sqlite/);
  });
});
