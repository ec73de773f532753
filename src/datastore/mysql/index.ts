/**
 * The MySQL/MariaDB driver: `--datastore-endpoint mysql://user:pass@tcp(host:3306)/db` (also
 * unix(/path/to.sock) and the URL form). The generic SQL log over a mysql2 pool; the database is
 * created when missing (as upstream kine does), and start() waits for a server that is not up.
 */
import mysql from 'mysql2/promise';
import type { PoolOptions, SslOptions } from 'mysql2/promise';
import { describeEndpoint, type ClientTls, type MysqlEndpoint } from '../endpoint.js';
import { externalSqlLog, readTlsFiles, type ExternalSqlLog, type ExternalSqlOptions } from '../external-sql.js';
import { mysqlDialect, mysqlErrno } from './dialect.js';
import { MysqlExecutor } from './executor.js';

export { mysqlDialect } from './dialect.js';
export { MysqlExecutor } from './executor.js';

/** Network errors that waiting can fix (ENOENT: the server has not created its socket yet). */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE', 'ENOENT', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT']);
const TRANSIENT_ERRNO = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2013, // CR_SERVER_LOST
]);

export function openMysql(endpoint: MysqlEndpoint, options: ExternalSqlOptions = {}): ExternalSqlLog {
  const what = describeEndpoint(endpoint);
  const config = poolConfig(endpoint);
  const pool = createMysqlPool(config);
  return externalSqlLog(
    { what, dialect: mysqlDialect, executor: new MysqlExecutor(pool), ensureDatabase: () => ensureDatabase(pool, config, endpoint), transient, reason },
    options,
  );
}

/**
 * The pool the driver uses: READ COMMITTED on every connection (see executor.ts), and strict
 * mode so an over-long key is an error, never silently truncated.
 */
export function createMysqlPool(config: PoolOptions): mysql.Pool {
  const pool = mysql.createPool(config);
  pool.pool.on('connection', (conn) => {
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    conn.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_TRANS_TABLES')");
  });
  return pool;
}

export function poolConfig(endpoint: MysqlEndpoint): PoolOptions {
  const ssl = sslOptions(endpoint.tls);
  return {
    ...(endpoint.socketPath !== undefined ? { socketPath: endpoint.socketPath } : { host: endpoint.host ?? '127.0.0.1', port: endpoint.port }),
    user: endpoint.user,
    ...(endpoint.password !== undefined ? { password: endpoint.password.reveal() } : {}),
    database: endpoint.database,
    ...(ssl !== undefined ? { ssl } : {}),
    connectTimeout: endpoint.connectTimeoutMs ?? 10_000,
    connectionLimit: 10,
    maxIdle: 10,
    idleTimeout: 60_000,
    enableKeepAlive: true,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    // UPDATE reports rows matched, not only rows changed, as SQLite and PostgreSQL do.
    flags: ['FOUND_ROWS'],
  };
}

/** tls=true|skip-verify and the --datastore-* files on Node TLS options; undefined = no TLS. */
function sslOptions(tls: ClientTls): SslOptions | undefined {
  if (tls.mode === 'disable') return undefined;
  const files = readTlsFiles(tls, 'mysql');
  switch (tls.mode) {
    case 'require':
      return { ...files, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...files, rejectUnauthorized: true };
    case 'verify-full':
      // mysql2 checks the host name only when asked (verifyIdentity).
      return { ...files, rejectUnauthorized: true, verifyIdentity: true };
  }
}

/** Connects once; creates the database when the server says it does not exist. */
async function ensureDatabase(pool: mysql.Pool, config: PoolOptions, endpoint: MysqlEndpoint): Promise<void> {
  try {
    await pool.query('SELECT 1');
    return;
  } catch (err) {
    if (mysqlErrno(err) !== 1049) throw err; // ER_BAD_DB_ERROR
  }
  const { database: _database, connectionLimit: _l, maxIdle: _m, idleTimeout: _i, ...connectionConfig } = config;
  const admin = await mysql.createConnection(connectionConfig);
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${endpoint.database.replace(/`/g, '``')}\``);
  } finally {
    await admin.end().catch(() => undefined);
  }
  await pool.query('SELECT 1');
}

function transient(err: unknown): boolean {
  const errno = mysqlErrno(err);
  if (errno !== undefined) return TRANSIENT_ERRNO.has(errno);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return TRANSIENT_CODES.has(code);
  return err instanceof Error && /timeout|closed|ECONNREFUSED/i.test(err.message);
}

function reason(err: unknown): string {
  const errno = mysqlErrno(err);
  const message = err instanceof Error ? err.message || String((err as { code?: unknown }).code) : String(err);
  switch (errno) {
    case 1045: // ER_ACCESS_DENIED_ERROR
      return `${message} (check the user and password in --datastore-endpoint)`;
    case 1044: // ER_DBACCESS_DENIED_ERROR
      return `${message} (grant the user access to the database, or create it)`;
    default:
      return errno !== undefined ? `${message} (error ${errno})` : message;
  }
}
