/** The PostgreSQL flavour of the revision log's SQL (same tables and indexes as SQLite). */
import type { Dialect, ErrorClass } from '../sql/dialect.js';

/** SQLSTATEs waiting and re-running the program can fix. */
const RETRY = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '42P07', // duplicate_table: two servers creating the schema at once
]);

export const postgresDialect = {
  name: 'postgres',
  schema: [
    // BIGSERIAL ids are never reused. Names are BYTEA, like etcd's keys: byte order, and any
    // byte allowed (the API server pages with "<last key>\0", which TEXT cannot hold).
    `CREATE TABLE IF NOT EXISTS kv_log (
      id BIGSERIAL PRIMARY KEY,
      name BYTEA NOT NULL,
      created INTEGER NOT NULL,
      deleted INTEGER NOT NULL,
      create_revision BIGINT NOT NULL,
      prev_revision BIGINT NOT NULL,
      version BIGINT NOT NULL,
      lease BIGINT NOT NULL,
      value BYTEA NOT NULL,
      old_value BYTEA NOT NULL
    )`,
    'CREATE UNIQUE INDEX IF NOT EXISTS kv_log_name_prev ON kv_log (name, prev_revision)',
    'CREATE INDEX IF NOT EXISTS kv_log_name_id ON kv_log (name, id)',
    'CREATE INDEX IF NOT EXISTS kv_log_lease ON kv_log (lease) WHERE lease != 0',
    'CREATE TABLE IF NOT EXISTS kv_meta (name BYTEA PRIMARY KEY, value BIGINT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS kv_lease (id BIGINT PRIMARY KEY, ttl BIGINT NOT NULL, expires_at BIGINT NOT NULL)',
  ],
  /** `?` -> `$1, $2, ...` (the generic SQL has no `?` inside string literals). */
  placeholders(sql: string): string {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  },
  upsertMetaSql: 'INSERT INTO kv_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
  upsertLeaseSql: 'INSERT INTO kv_lease (id, ttl, expires_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET ttl = excluded.ttl, expires_at = excluded.expires_at',
  classify(error: unknown): ErrorClass {
    const code = pgCode(error);
    if (code === '23505') return 'conflict'; // unique_violation: a concurrent writer won
    if (code !== undefined && RETRY.has(code)) return 'retry';
    return 'fatal';
  },
} satisfies Dialect;

/** The SQLSTATE of a pg DatabaseError. */
export function pgCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
