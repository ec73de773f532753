/**
 * Runs log programs on one better-sqlite3 connection. better-sqlite3 is synchronous, so a write
 * program runs start to finish inside one transaction without yielding to the event loop: no
 * other JavaScript sees a half-done write, commits happen in id order, and the log can publish
 * watch events straight after each commit (serialCommits).
 *
 * Group commit: writes requested in the same event-loop turn (concurrent writers, or requests
 * that arrived on several connections in one poll phase) share one transaction,
 * each program inside its own SAVEPOINT so one that throws (KeyExists, a failed compare) rolls
 * back alone. Every write is acknowledged only after the shared COMMIT, so durability is as for
 * one transaction per write, while the commit cost (and with synchronous=FULL the fsync) is
 * paid once per batch, as etcd batches its raft entries.
 */
import type { Database, Statement as Prepared } from 'better-sqlite3';
import type { Program, SqlExecutor, SqlValue, Statement, StatementResult } from '../sql/dialect.js';

interface Pending {
  readonly program: () => Program<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Programs per shared transaction; bounds how long one commit holds the write lock. */
const MAX_BATCH = 256;

export class SqliteExecutor implements SqlExecutor {
  readonly serialCommits = true;
  private readonly cache = new Map<string, Prepared>();
  private queue: Pending[] = [];
  private scheduled = false;

  /**
   * `turn` (default) flushes in setImmediate, after every I/O callback of this loop turn, so
   * requests that arrived together over the network share a commit; `tick` flushes in a
   * microtask (only writes issued by the same synchronous code share one).
   */
  constructor(
    private readonly db: Database,
    private readonly batching: 'turn' | 'tick' = 'turn',
  ) {}

  write<T>(program: () => Program<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ program, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        if (this.batching === 'tick') queueMicrotask(() => this.flush());
        else setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      const outcomes: { ok: boolean; value: unknown }[] = [];
      try {
        // IMMEDIATE takes the write lock up front, so the batch never fails half way for it.
        this.run('BEGIN IMMEDIATE');
        for (const p of batch) {
          this.run('SAVEPOINT w');
          try {
            outcomes.push({ ok: true, value: this.drive(p.program()) });
            this.run('RELEASE w');
          } catch (err) {
            outcomes.push({ ok: false, value: err });
            this.run('ROLLBACK TO w');
            this.run('RELEASE w');
          }
        }
        this.run('COMMIT');
      } catch (err) {
        // BEGIN or COMMIT failed (disk full, I/O error): nothing in the batch is durable.
        if (this.db.inTransaction) this.run('ROLLBACK');
        for (const p of batch) p.reject(err);
        continue;
      }
      batch.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o.ok) p.resolve(o.value);
        else p.reject(o.value);
      });
    }
  }

  private run(sql: string): void {
    this.prepare(sql).run();
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
    // Writes already requested are committed (and answered) before the connection goes.
    if (this.queue.length > 0) this.flush();
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
