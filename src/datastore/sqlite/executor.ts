/**
 * Runs log programs on one better-sqlite3 connection. better-sqlite3 is synchronous, so a write
 * program runs start to finish inside one BEGIN IMMEDIATE ... COMMIT without yielding to the
 * event loop: no other JavaScript sees a half-done write, commits happen in id order, and the
 * log can publish watch events straight after each commit (serialCommits).
 */
import type { Database, Statement as Prepared } from 'better-sqlite3';
import type { Program, SqlExecutor, SqlValue, Statement, StatementResult } from '../sql/dialect.js';

export class SqliteExecutor implements SqlExecutor {
  readonly serialCommits = true;
  private readonly cache = new Map<string, Prepared>();
  private readonly tx: <T>(program: () => Program<T>) => T;

  constructor(private readonly db: Database) {
    const txFn = db.transaction((program: () => Program<unknown>) => this.drive(program()));
    // IMMEDIATE takes the write lock up front, so a transaction never fails half way for it.
    this.tx = <T>(program: () => Program<T>): T => txFn.immediate(program) as T;
  }

  async write<T>(program: () => Program<T>): Promise<T> {
    return this.tx(program);
  }

  async read<T>(program: () => Program<T>): Promise<T> {
    return this.drive(program());
  }

  async sizeBytes(): Promise<number> {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  /** Truncates the WAL file: autocheckpoints copy pages back but never shrink the file. */
  async maintenance(): Promise<void> {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }

  private drive<T>(gen: Program<T>): T {
    let step = gen.next();
    while (!step.done) {
      let result: StatementResult;
      try {
        result = this.execute(step.value);
      } catch (err) {
        step = gen.throw(err);
        continue;
      }
      step = gen.next(result);
    }
    return step.value;
  }

  private execute(s: Statement): StatementResult {
    const stmt = this.prepare(s.sql);
    const params = s.params.map(bind);
    switch (s.kind) {
      case 'all':
        return stmt.all(...params) as Record<string, unknown>[];
      case 'insert':
        return Number(stmt.run(...params).lastInsertRowid);
      case 'run':
        return stmt.run(...params).changes;
    }
  }

  private prepare(sql: string): Prepared {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      // Compaction builds IN lists of varying length; keep the cache for the fixed statements.
      if (this.cache.size < 200) this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

/** better-sqlite3 binds Buffers, not plain Uint8Arrays. */
function bind(v: SqlValue): unknown {
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}
