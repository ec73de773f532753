/**
 * What is particular to the MySQL driver, against a real MariaDB: several k3s servers sharing
 * one database, id gaps left by slow or rolled-back transactions, a missing database, the unix
 * socket form, and start-up against a server that is down or refuses the password.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { parseEndpoint, type MysqlEndpoint } from '../../../src/datastore/endpoint.js';
import { createMysqlPool, openMysql, poolConfig } from '../../../src/datastore/mysql/index.js';
import { DatastoreOpenError, type Backend } from '../../../src/datastore/types.js';
import { startMariadb, type SqlServer } from '../../helpers/db-servers.js';
import { freePort } from '../../helpers/index.js';
import { capture, databaseRestartSuite, sharedDatabaseTests, text, type SqlDialect } from '../../helpers/external-sql-suite.js';

const DIALECT: SqlDialect = {
  connect: (server, database) => mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password, database }),
  placeholder: '?',
  begin: 'START TRANSACTION',
  databaseNamed: (name) => `SHOW DATABASES LIKE '${name}'`,
};

async function open(t: { after(fn: () => unknown): void }, endpoint: string, options: Parameters<typeof openMysql>[1] = {}): Promise<Backend> {
  const backend = openMysql(parseEndpoint(endpoint) as MysqlEndpoint, { logger: capture().log, ...options });
  t.after(() => backend.close());
  await backend.start();
  return backend;
}

describe('mysql driver on a real MariaDB', () => {
  let server: SqlServer;
  let database: string;
  before(async () => {
    server = await startMariadb();
    database = await server.createDatabase();
  });
  after(() => server.stop());

  sharedDatabaseTests(() => ({ server, database }), open, DIALECT);

  test('connects over the unix socket form mysql://user:pass@unix(/path)/db', async (t) => {
    const backend = await open(t, `mysql://${server.user}:${server.password}@unix(${server.socket ?? ''})/${database}`);
    await backend.create('/socket/key', text('via-socket'));
    assert.equal(new TextDecoder().decode((await backend.get('/socket/key')).kv?.value), 'via-socket');
  });

  test('every pooled connection runs at READ COMMITTED in strict mode', async (t) => {
    const pool = createMysqlPool(poolConfig(parseEndpoint(server.endpoint(database)) as MysqlEndpoint));
    t.after(() => pool.end());
    // Concurrent queries, so several connections are opened.
    const results = await Promise.all([1, 2, 3].map(() => pool.query('SELECT @@tx_isolation AS iso, @@sql_mode AS mode, SLEEP(0.05) AS s')));
    for (const [rows] of results) {
      const row = (rows as { iso: string; mode: string }[])[0];
      assert.equal(row?.iso, 'READ-COMMITTED');
      assert.match(row?.mode ?? '', /STRICT_TRANS_TABLES/);
    }
  });

  test('a wrong password fails at once with a clear error that does not contain the password', async (t) => {
    const wrong = server.endpoint(database).replace(server.password, 'not-the-password-x9');
    const { log, lines } = capture();
    const backend = openMysql(parseEndpoint(wrong) as MysqlEndpoint, { logger: log, startTimeoutMs: 30_000 });
    t.after(() => backend.close());
    const started = Date.now();
    await assert.rejects(backend.start(), (err: Error) => {
      assert.ok(err instanceof DatastoreOpenError, String(err));
      assert.match(err.message, /Access denied for user 'k3s'/);
      assert.match(err.message, new RegExp(`k3s@127\\.0\\.0\\.1:${server.port}/${database}`));
      assert.doesNotMatch(err.message, /not-the-password-x9/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'not retried');
    assert.ok(!lines.some((l) => l.includes('not-the-password-x9')), 'password never logged');
  });
});

databaseRestartSuite('mysql', (t) => startMariadb(t), open);

describe('mysql driver over TLS', () => {
  let server: SqlServer;
  let database: string;
  before(async () => {
    server = await startMariadb(undefined, { tls: true });
    database = await server.createDatabase();
  });
  after(() => server.stop());

  test('tls=true with --datastore-cafile verifies the server and the connection is encrypted', async (t) => {
    const endpoint = parseEndpoint(`${server.endpoint(database)}?tls=true`, { caFile: server.tls?.caFile }) as MysqlEndpoint;
    assert.equal(endpoint.tls.mode, 'verify-full');
    const backend = openMysql(endpoint, { logger: capture().log });
    t.after(() => backend.close());
    await backend.start();
    await backend.create('/tls/key', text('x'));
    const pool = createMysqlPool(poolConfig(endpoint));
    t.after(() => pool.end());
    const [rows] = await pool.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    assert.notEqual((rows as { Value: string }[])[0]?.Value ?? '', '', 'a TLS cipher is in use');
  });

  test('tls=true without the CA fails at once on the untrusted certificate', async (t) => {
    const backend = openMysql(parseEndpoint(`${server.endpoint(database)}?tls=true`) as MysqlEndpoint, { logger: capture().log, startTimeoutMs: 30_000 });
    t.after(() => backend.close());
    const started = Date.now();
    await assert.rejects(backend.start(), /cannot use the datastore mysql .*certificate/);
    assert.ok(Date.now() - started < 5000, 'not retried');
  });
});

describe('mysql driver start-up', () => {
  test('an unreadable TLS file is reported with its path when the datastore is opened, before any connection', () => {
    assert.throws(() => openMysql(parseEndpoint(`mysql://k3s:pw@tcp(127.0.0.1:3306)/kube?tls=true`, { caFile: '/nonexistent/ca.pem' }) as MysqlEndpoint, { logger: capture().log }), (err: Error) => {
      assert.ok(err instanceof DatastoreOpenError);
      assert.match(err.message, /cannot read the mysql CA file \(--datastore-cafile\) \/nonexistent\/ca\.pem: ENOENT/);
      return true;
    });
  });

  test('an unreachable server is retried with spreading delays, then fails naming the server but not the password', async (t) => {
    const port = await freePort();
    const { log, lines } = capture();
    const backend = openMysql(parseEndpoint(`mysql://k3s:secret-pw-77@tcp(127.0.0.1:${port})/kube`) as MysqlEndpoint, { logger: log, startTimeoutMs: 2000 });
    t.after(() => backend.close());
    await assert.rejects(backend.start(), (err: Error) => {
      assert.ok(err instanceof DatastoreOpenError);
      assert.match(err.message, new RegExp(`cannot reach the datastore mysql k3s@127\\.0\\.0\\.1:${port}/kube: .*ECONNREFUSED.*gave up after \\d+ attempts`));
      return true;
    });
    const retries = lines.filter((l) => l.includes('not reachable yet')).map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    assert.ok(retries.length >= 2 && retries.length <= 4, `one line per attempt, few attempts: ${retries.join(',')}`);
    assert.deepEqual(retries, [...retries].sort((x, y) => x - y), 'delays grow');
    assert.ok(!lines.some((l) => l.includes('secret-pw-77')), 'password never logged');
  });

  test('start() waits for a server that comes up later', async (t) => {
    const port = await freePort();
    const backend = openMysql(
      parseEndpoint(`mysql://k3s:pw@tcp(127.0.0.1:${port})/kube`) as MysqlEndpoint,
      { logger: capture().log, startTimeoutMs: 60_000 },
    );
    t.after(() => backend.close());
    const starting = backend.start();
    await new Promise((r) => setTimeout(r, 500));
    await startMariadb(t, { port, password: 'pw' });
    await starting;
    await backend.create('/late/key', text('v'));
    assert.equal((await backend.get('/late/key')).kv?.version, 1);
  });
});
