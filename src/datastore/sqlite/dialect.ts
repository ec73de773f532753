/** The SQLite flavour of the revision log's SQL. */
import type { Dialect, ErrorClass } from '../sql/dialect.js';

export const sqliteDialect = {
  name: 'sqlite',
  schema: [
    // AUTOINCREMENT: ids (revisions) are never reused, even after the newest rows are compacted.
    `CREATE TABLE IF NOT EXISTS kv_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL COLLATE BINARY,
      created INTEGER NOT NULL,
      deleted INTEGER NOT NULL,
      create_revision INTEGER NOT NULL,
      prev_revision INTEGER NOT NULL,
      version INTEGER NOT NULL,
      lease INTEGER NOT NULL,
      value BLOB NOT NULL,
      old_value BLOB NOT NULL
    )`,
    // No unique (name, prev_revision) index: it only settles races between concurrent writers,
    // and here one connection runs every write program start to finish (executor.ts). No query
    // reads it, and it cost a page per put. Files made before drop it here.
    'DROP INDEX IF EXISTS kv_log_name_prev',
    'CREATE INDEX IF NOT EXISTS kv_log_name_id ON kv_log (name, id)',
    // Partial: almost every row has lease 0, and only lease revocation looks rows up by lease.
    'CREATE INDEX IF NOT EXISTS kv_log_lease ON kv_log (lease) WHERE lease != 0',
    'CREATE TABLE IF NOT EXISTS kv_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)',
    'CREATE TABLE IF NOT EXISTS kv_lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, expires_at INTEGER NOT NULL)',
  ],
  placeholders: (sql: string) => sql,
  upsertMetaSql: 'INSERT INTO kv_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
  upsertLeaseSql: 'INSERT INTO kv_lease (id, ttl, expires_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET ttl = excluded.ttl, expires_at = excluded.expires_at',
  classify(error: unknown): ErrorClass {
    const code = sqliteCode(error);
    if (code === undefined) return 'fatal';
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'conflict';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'retry';
    return 'fatal';
  },
} satisfies Dialect;

/** better-sqlite3's SqliteError carries the extended result code name in `code`. */
export function sqliteCode(error: unknown): string | undefined {
  if (error instanceof Error && error.name === 'SqliteError') {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
