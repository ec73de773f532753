/** The MySQL/MariaDB flavour of the revision log's SQL (same tables and indexes as SQLite). */
import type { Dialect, ErrorClass } from '../sql/dialect.js';

/** Server error numbers waiting and re-running the program can fix. */
const RETRY = new Set([
  1213, // ER_LOCK_DEADLOCK
  1205, // ER_LOCK_WAIT_TIMEOUT
  1050, // ER_TABLE_EXISTS_ERROR: two servers creating the schema at once
]);

export const mysqlDialect = {
  name: 'mysql',
  schema: [
    // Indexes inline: MySQL 8 has no CREATE INDEX IF NOT EXISTS. Names are VARBINARY, like
    // etcd's keys: byte order, no trailing-space padding, NUL allowed (the API server pages
    // with "<last key>\0"); 2048 bytes keeps (name, prev_revision) under InnoDB's 3072-byte
    // index limit. MEDIUMBLOB holds the 1.5 MiB value limit.
    `CREATE TABLE IF NOT EXISTS kv_log (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      name VARBINARY(2048) NOT NULL,
      created INT NOT NULL,
      deleted INT NOT NULL,
      create_revision BIGINT NOT NULL,
      prev_revision BIGINT NOT NULL,
      version BIGINT NOT NULL,
      lease BIGINT NOT NULL,
      value MEDIUMBLOB NOT NULL,
      old_value MEDIUMBLOB NOT NULL,
      UNIQUE KEY kv_log_name_prev (name, prev_revision),
      KEY kv_log_name_id (name, id),
      KEY kv_log_lease (lease)
    ) ENGINE=InnoDB`,
    'CREATE TABLE IF NOT EXISTS kv_meta (name VARBINARY(255) NOT NULL PRIMARY KEY, value BIGINT NOT NULL) ENGINE=InnoDB',
    'CREATE TABLE IF NOT EXISTS kv_lease (id BIGINT NOT NULL PRIMARY KEY, ttl BIGINT NOT NULL, expires_at BIGINT NOT NULL) ENGINE=InnoDB',
  ],
  placeholders: (sql: string) => sql,
  upsertMetaSql: 'INSERT INTO kv_meta (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)',
  upsertLeaseSql: 'INSERT INTO kv_lease (id, ttl, expires_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE ttl = VALUES(ttl), expires_at = VALUES(expires_at)',
  classify(error: unknown): ErrorClass {
    const errno = mysqlErrno(error);
    if (errno === 1062) return 'conflict'; // ER_DUP_ENTRY: a concurrent writer won
    if (errno !== undefined && RETRY.has(errno)) return 'retry';
    return 'fatal';
  },
} satisfies Dialect;

/** The server error number of a mysql2 error (undefined for network errors). */
export function mysqlErrno(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { errno?: unknown; sqlState?: unknown };
  return typeof e.errno === 'number' && e.sqlState !== undefined ? e.errno : undefined;
}
