/**
 * Runs log programs on a pg connection pool. A write program holds one pooled connection
 * between BEGIN and COMMIT (READ COMMITTED: concurrent writers to one key collide on the unique
 * (name, prev_revision) index and the log re-runs the loser). Commits of different connections
 * can become visible out of id order, so serialCommits is false and the log reads new rows
 * back (which also picks up rows written by other k3s servers).
 */
import type { Pool, PoolClient, QueryConfig } from 'pg';
import type { Program, SqlExecutor, SqlValue, Statement, StatementResult } from '../sql/dialect.js';
import { driveAsync } from '../external-sql.js';
import { postgresDialect } from './dialect.js';

/** Named (server-side prepared) statements for the fixed SQL; compaction's IN lists vary. */
const MAX_NAMED = 200;

export class PgExecutor implements SqlExecutor {
  readonly serialCommits = false;
  readonly #names = new Map<string, string>();
  #closed: Promise<void> | undefined;

  constructor(readonly pool: Pool) {}

  async write<T>(program: () => Program<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await driveAsync(program(), (s) => this.#execute(client, s));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // The connection is unusable (server gone): drop it instead of returning it to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async read<T>(program: () => Program<T>): Promise<T> {
    return driveAsync(program(), (s) => this.#execute(this.pool, s));
  }

  async sizeBytes(): Promise<number> {
    const result = await this.pool.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
    return Number(result.rows[0]?.size ?? 0);
  }

  close(): Promise<void> {
    this.#closed ??= this.pool.end();
    return this.#closed;
  }

  async #execute(target: Pool | PoolClient, s: Statement): Promise<StatementResult> {
    let text = postgresDialect.placeholders(s.sql);
    if (s.kind === 'insert') text += ' RETURNING id';
    const config: QueryConfig = { text, values: s.params.map(bind) };
    const name = this.#nameOf(text);
    if (name !== undefined) config.name = name;
    const result = await target.query(config);
    switch (s.kind) {
      case 'all':
        return result.rows as Record<string, unknown>[];
      case 'insert':
        return Number((result.rows[0] as { id?: unknown } | undefined)?.id);
      case 'run':
        return result.rowCount ?? 0;
    }
  }

  #nameOf(text: string): string | undefined {
    let name = this.#names.get(text);
    if (name === undefined && this.#names.size < MAX_NAMED) {
      name = `k3s_${this.#names.size}`;
      this.#names.set(text, name);
    }
    return name;
  }
}

/** Strings are names (BYTEA columns): sent as UTF-8 bytes. */
function bind(v: SqlValue): unknown {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}
