/**
 * The PostgreSQL driver: `--datastore-endpoint postgres://user:pass@host:5432/db?sslmode=...`.
 * The generic SQL log over a pg pool; the database is created when missing (as upstream kine
 * does), and start() waits for a server that is not up yet.
 */
import pg from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { logger } from '../../log/index.js';
import { describeEndpoint, type ClientTls, type PostgresEndpoint } from '../endpoint.js';
import { externalSqlLog, readTlsFiles, type ExternalSqlLog, type ExternalSqlOptions } from '../external-sql.js';
import { pgCode, postgresDialect } from './dialect.js';
import { PgExecutor } from './executor.js';

export { postgresDialect } from './dialect.js';
export { PgExecutor } from './executor.js';

/** Connection errors that waiting can fix. */
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE']);
const TRANSIENT_SQLSTATE = new Set([
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '08006', // connection_failure
  '08001', // unable to connect
]);

export function openPostgres(endpoint: PostgresEndpoint, options: ExternalSqlOptions = {}): ExternalSqlLog {
  const log = options.logger ?? logger('datastore');
  const what = describeEndpoint(endpoint);
  const config = poolConfig(endpoint);
  const pool = new pg.Pool(config);
  // An idle pooled connection that breaks (server restart) is reported here; without a
  // listener it would crash the process. The pool replaces it on next use.
  let lastLostLog = 0;
  pool.on('error', (err) => {
    // Every idle connection reports the same outage: one line per 10 s is enough.
    if (Date.now() - lastLostLog < 10_000) return;
    lastLostLog = Date.now();
    log.warn({ datastore: what, reason: err.message }, 'postgres connection lost; it will be replaced');
  });
  return externalSqlLog(
    { what, dialect: postgresDialect, executor: new PgExecutor(pool), ensureDatabase: () => ensureDatabase(pool, config, endpoint), transient, reason },
    { ...options, logger: log },
  );
}

function poolConfig(endpoint: PostgresEndpoint): pg.PoolConfig {
  const ssl = sslOptions(endpoint.tls);
  return {
    host: endpoint.host ?? 'localhost',
    port: endpoint.port,
    user: endpoint.user,
    ...(endpoint.password !== undefined ? { password: endpoint.password.reveal() } : {}),
    database: endpoint.database,
    ...(ssl !== undefined ? { ssl } : {}),
    connectionTimeoutMillis: endpoint.connectTimeoutMs ?? 10_000,
    application_name: endpoint.params.application_name ?? 'k3s',
    max: 10,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  };
}

/** libpq sslmode semantics on Node TLS options; undefined = no TLS. */
function sslOptions(tls: ClientTls): ConnectionOptions | undefined {
  if (tls.mode === 'disable') return undefined;
  const files = readTlsFiles(tls, 'postgres');
  switch (tls.mode) {
    case 'require':
      return { ...files, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...files, rejectUnauthorized: true };
  }
}

/** Connects once; creates the database when the server says it does not exist. */
async function ensureDatabase(pool: pg.Pool, config: pg.PoolConfig, endpoint: PostgresEndpoint): Promise<void> {
  try {
    await pool.query('SELECT 1');
    return;
  } catch (err) {
    if (pgCode(err) !== '3D000') throw err; // invalid_catalog_name
  }
  const admin = new pg.Client({ ...config, database: 'postgres' });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(endpoint.database)}`);
  } catch (err) {
    if (pgCode(err) !== '42P04') throw err; // duplicate_database: another server was first
  } finally {
    await admin.end().catch(() => undefined);
  }
  await pool.query('SELECT 1');
}

function transient(err: unknown): boolean {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === 'string' && TRANSIENT_ERRNO.has(errno)) return true;
  const code = pgCode(err);
  if (code !== undefined) return TRANSIENT_SQLSTATE.has(code);
  // pg's own timeouts and "Connection terminated unexpectedly" carry no code.
  const message = err instanceof Error ? err.message : '';
  return /timeout|terminated|ECONNREFUSED/i.test(message);
}

function reason(err: unknown): string {
  const code = pgCode(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case '28P01':
    case '28000':
      return `${message} (check the user and password in --datastore-endpoint)`;
    case '42501':
      return `${message} (the user may not create the database; create it or grant CREATEDB)`;
    default:
      return code !== undefined ? `${message} (SQLSTATE ${code})` : message;
  }
}
