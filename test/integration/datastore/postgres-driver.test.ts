/**
 * What is particular to the PostgreSQL driver, against a real PostgreSQL 15: several k3s
 * servers sharing one database, id gaps left by slow or rolled-back transactions, a missing
 * database, and start-up against a server that is down or refuses the password.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parseEndpoint, type PostgresEndpoint } from '../../../src/datastore/endpoint.js';
import { openPostgres } from '../../../src/datastore/postgres/index.js';
import { DatastoreOpenError, type Backend } from '../../../src/datastore/types.js';
import { startPostgres, type SqlServer } from '../../helpers/db-servers.js';
import { freePort } from '../../helpers/index.js';
import { capture, databaseRestartSuite, sharedDatabaseTests, text, type SqlDialect } from '../../helpers/external-sql-suite.js';

const DIALECT: SqlDialect = {
  connect: async (server, database) => {
    const client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    await client.connect();
    return client;
  },
  placeholder: '$1',
  begin: 'BEGIN',
  databaseNamed: (name) => `SELECT datname FROM pg_database WHERE datname = '${name}'`,
};

async function open(t: { after(fn: () => unknown): void }, endpoint: string, options: Parameters<typeof openPostgres>[1] = {}): Promise<Backend> {
  const backend = openPostgres(parseEndpoint(endpoint) as PostgresEndpoint, { logger: capture().log, ...options });
  t.after(() => backend.close());
  await backend.start();
  return backend;
}

describe('postgres driver on a real PostgreSQL', () => {
  let server: SqlServer;
  let database: string;
  before(async () => {
    server = await startPostgres();
    database = await server.createDatabase();
  });
  after(() => server.stop());

  sharedDatabaseTests(() => ({ server, database }), open, DIALECT);

  test('a wrong password fails at once with a clear error that does not contain the password', async (t) => {
    const wrong = server.endpoint(database).replace(encodeURIComponent(server.password), 'not-the-password-x9');
    const { log, lines } = capture();
    const backend = openPostgres(parseEndpoint(wrong) as PostgresEndpoint, { logger: log, startTimeoutMs: 30_000 });
    t.after(() => backend.close());
    const started = Date.now();
    await assert.rejects(backend.start(), (err: Error) => {
      assert.ok(err instanceof DatastoreOpenError, String(err));
      assert.match(err.message, /password authentication failed/);
      assert.match(err.message, new RegExp(`k3s@127\\.0\\.0\\.1:${server.port}/${database}`));
      assert.doesNotMatch(err.message, /not-the-password-x9/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'not retried');
    assert.ok(!lines.some((l) => l.includes('not-the-password-x9')), 'password never logged');
  });
});

databaseRestartSuite('postgres', (t) => startPostgres(t), open);

describe('postgres driver over TLS', () => {
  let server: SqlServer;
  let database: string;
  before(async () => {
    server = await startPostgres(undefined, { tls: true });
    database = await server.createDatabase();
  });
  after(() => server.stop());
  const url = (query: string): string => server.endpoint(database).replace('sslmode=disable', query);

  test('sslmode=verify-full with the CA verifies the server and works', async (t) => {
    const backend = await open(t, url(`sslmode=verify-full&sslrootcert=${encodeURIComponent(server.tls?.caFile ?? '')}`));
    await backend.create('/tls/full', text('x'));
    const ssl = (await server.sql(`SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.usename = 'k3s'`)).trim();
    assert.ok(Number(ssl) >= 1, `connections over TLS: ${ssl}`);
  });

  test('sslmode=require encrypts without verifying', async (t) => {
    const backend = await open(t, url('sslmode=require'));
    await backend.create('/tls/require', text('x'));
  });

  test('sslmode=verify-full without the CA fails at once on the untrusted certificate', async (t) => {
    const { log } = capture();
    const backend = openPostgres(parseEndpoint(url('sslmode=verify-full')) as PostgresEndpoint, { logger: log, startTimeoutMs: 30_000 });
    t.after(() => backend.close());
    const started = Date.now();
    await assert.rejects(backend.start(), /cannot use the datastore postgres .*certificate/);
    assert.ok(Date.now() - started < 5000, 'not retried');
  });
});

describe('postgres driver start-up', () => {
  test('an unreadable TLS file is reported with its path when the datastore is opened, before any connection', () => {
    assert.throws(() => openPostgres(parseEndpoint(`postgres://k3s:pw@127.0.0.1:5432/kube?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem`) as PostgresEndpoint, { logger: capture().log }), (err: Error) => {
      assert.ok(err instanceof DatastoreOpenError);
      assert.match(err.message, /cannot read the postgres CA file \(--datastore-cafile\) \/nonexistent\/ca\.pem: ENOENT/);
      return true;
    });
  });

  test('an unreachable server is retried with spreading delays, then fails naming the server but not the password', async (t) => {
    const port = await freePort();
    const { log, lines } = capture();
    const backend = openPostgres(parseEndpoint(`postgres://k3s:secret-pw-77@127.0.0.1:${port}/kube?sslmode=disable`) as PostgresEndpoint, { logger: log, startTimeoutMs: 2000 });
    t.after(() => backend.close());
    await assert.rejects(backend.start(), (err: Error) => {
      assert.ok(err instanceof DatastoreOpenError);
      assert.match(err.message, new RegExp(`cannot reach the datastore postgres k3s@127\\.0\\.0\\.1:${port}/kube: .*ECONNREFUSED.*gave up after \\d+ attempts`));
      return true;
    });
    const retries = lines.filter((l) => l.includes('not reachable yet')).map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    assert.ok(retries.length >= 2 && retries.length <= 4, `one line per attempt, few attempts: ${retries.join(',')}`);
    assert.deepEqual(retries, [...retries].sort((x, y) => x - y), 'delays grow');
    assert.ok(!lines.some((l) => l.includes('secret-pw-77')), 'password never logged');
  });

  test('start() waits for a server that comes up later', async (t) => {
    const port = await freePort();
    const backend = openPostgres(
      parseEndpoint(`postgres://k3s:pw@127.0.0.1:${port}/kube?sslmode=disable`) as PostgresEndpoint,
      { logger: capture().log, startTimeoutMs: 60_000 },
    );
    t.after(() => backend.close());
    const starting = backend.start();
    await new Promise((r) => setTimeout(r, 500));
    await startPostgres(t, { port, password: 'pw' });
    await starting;
    await backend.create('/late/key', text('v'));
    assert.equal((await backend.get('/late/key')).kv?.version, 1);
  });
});
