/**
 * Runs log programs on a mysql2 pool. A write program holds one pooled connection inside one
 * transaction at READ COMMITTED (set per connection by the driver): writers to one key collide
 * on the unique (name, prev_revision) index and the log re-runs the loser, without the gap
 * locks of REPEATABLE READ turning that into deadlocks. Commits of different connections may
 * become visible out of id order, so serialCommits is false and the log reads rows back.
 */
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Program, SqlExecutor, SqlValue, Statement, StatementResult } from '../sql/dialect.js';
import { driveAsync } from '../external-sql.js';

export class MysqlExecutor implements SqlExecutor {
  readonly serialCommits = false;
  #closed: Promise<void> | undefined;

  constructor(readonly pool: Pool) {}

  async write<T>(program: () => Program<T>): Promise<T> {
    const conn = await this.pool.getConnection();
    let broken = false;
    try {
      await conn.query('START TRANSACTION');
      const result = await driveAsync(program(), (s) => execute(conn, s));
      await conn.query('COMMIT');
      return result;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      // A connection that cannot roll back (server gone) must not go back to the pool.
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  async read<T>(program: () => Program<T>): Promise<T> {
    return driveAsync(program(), (s) => execute(this.pool, s));
  }

  async sizeBytes(): Promise<number> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT SUM(data_length + index_length) AS size FROM information_schema.tables WHERE table_schema = DATABASE()');
    return Number(rows[0]?.size ?? 0);
  }

  close(): Promise<void> {
    this.#closed ??= this.pool.end();
    return this.#closed;
  }
}

async function execute(target: Pool | PoolConnection, s: Statement): Promise<StatementResult> {
  const params = s.params.map(bind);
  if (s.kind === 'all') {
    const [rows] = await target.query<RowDataPacket[]>(s.sql, params);
    return rows;
  }
  const [header] = await target.query<ResultSetHeader>(s.sql, params);
  return s.kind === 'insert' ? Number(header.insertId) : header.affectedRows;
}

function bind(v: SqlValue): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}
