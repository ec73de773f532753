/**
 * What a SQL database must supply for the generic revision log (sql/log.ts), split in two:
 *
 *   Dialect      the SQL flavour: schema DDL (types, autoincrement, collation), placeholder
 *                syntax, the meta upsert, and how to classify its errors. Pure, no I/O.
 *   SqlExecutor  runs statements: a write Program inside one transaction, a read Program
 *                outside, plus housekeeping (size, checkpoint, close).
 *
 * The log's logic is written once as *programs*: generator functions that yield statements and
 * receive their results. A synchronous driver (better-sqlite3) runs a whole program inside one
 * synchronous transaction, so no other JavaScript can observe a half-done write and there is
 * no awaiting inside the write lock. An asynchronous driver (pg, mysql2) drives the same
 * program across awaits on one pooled connection between BEGIN and COMMIT, and may run the
 * program again after a retryable error (deadlock, serialization failure, unique violation of a
 * concurrent writer), which is safe because a program has no side effects besides its
 * statements.
 *
 *   function* current(name: string): Program<Row | undefined> {
 *     const rows = yield* all('SELECT ... WHERE name = ?', [name]);
 *     return rows[0];
 *   }
 *
 * SQL text in programs uses `?` placeholders; executors pass it through
 * `dialect.placeholders` (postgres turns them into $1, $2, ...).
 */

export type SqlValue = string | number | bigint | Uint8Array | null;
export type Row = Record<string, unknown>;

/** One statement a program asks its executor to run. */
export type Statement =
  /** Returns the rows. */
  | { readonly kind: 'all'; readonly sql: string; readonly params: readonly SqlValue[] }
  /** An INSERT into kv_log; returns the new row's id (lastInsertRowid, insertId or RETURNING id). */
  | { readonly kind: 'insert'; readonly sql: string; readonly params: readonly SqlValue[] }
  /** Any other statement; returns the number of rows changed. */
  | { readonly kind: 'run'; readonly sql: string; readonly params: readonly SqlValue[] };

/** The value an executor sends back into the program for each statement. */
export type StatementResult = Row[] | number;

/** A unit of database work, written once for every driver (see the file comment). */
export type Program<T> = Generator<Statement, T, StatementResult>;

export function* all(sql: string, params: readonly SqlValue[] = []): Program<Row[]> {
  const rows = yield { kind: 'all', sql, params };
  if (!Array.isArray(rows)) throw new TypeError('executor returned a count for a query');
  return rows;
}

export function* insert(sql: string, params: readonly SqlValue[] = []): Program<number> {
  const id = yield { kind: 'insert', sql, params };
  if (typeof id !== 'number') throw new TypeError('executor returned rows for an insert');
  return id;
}

export function* run(sql: string, params: readonly SqlValue[] = []): Program<number> {
  const changes = yield { kind: 'run', sql, params };
  if (typeof changes !== 'number') throw new TypeError('executor returned rows for a statement');
  return changes;
}

/**
 * How the log should treat a database error:
 *   conflict  a unique-index violation: a concurrent writer won the race for (name, prev_revision);
 *             the program is run again and will see the new state.
 *   retry     transient (deadlock, serialization failure, busy): run the program again.
 *   fatal     anything else: surfaced to the caller.
 */
export type ErrorClass = 'conflict' | 'retry' | 'fatal';

export interface Dialect {
  /** 'sqlite', 'postgres', 'mysql'. */
  readonly name: string;
  /**
   * Idempotent DDL, run in order at start. Must create:
   *   kv_log(id autoincrement primary key, name text (byte-order collation), created, deleted,
   *          create_revision, prev_revision, version, lease integers, value, old_value blobs)
   *   a unique index on kv_log(name, prev_revision)   (conflicts between concurrent writers;
   *                                                     a driver whose writes never overlap,
   *                                                     SQLite's, does without)
   *   an index on kv_log(name, id)                      (newest row per key, ranges)
   *   kv_meta(name text primary key, value integer)     (compact revision)
   *   kv_lease(id integer primary key, ttl integer, expires_at integer)   (ms since epoch)
   */
  readonly schema: readonly string[];
  /** Rewrites the `?` placeholders of generic SQL into the database's syntax. */
  placeholders(sql: string): string;
  /** `INSERT ... ON CONFLICT/DUPLICATE KEY UPDATE` setting kv_meta.value for a name; params [name, value]. */
  readonly upsertMetaSql: string;
  /** `INSERT` or upsert into kv_lease; params [id, ttl, expires_at]. */
  readonly upsertLeaseSql: string;
  classify(error: unknown): ErrorClass;
}

export interface SqlExecutor {
  /**
   * True when this process's commits become visible in id order, so the log can publish each
   * write's events straight after its commit (SQLite: one connection, one writer). False for
   * pooled client/server databases, where the log learns about commits by reading rows after
   * the last revision it has published (see SqlLogOptions.pollIntervalMs).
   */
  readonly serialCommits: boolean;
  /** Runs `program` inside one transaction; commits when it returns, rolls back when it throws. */
  write<T>(program: () => Program<T>): Promise<T>;
  /** Runs `program` outside a write transaction (each statement sees committed data). */
  read<T>(program: () => Program<T>): Promise<T>;
  /** Bytes used by the database, best effort. */
  sizeBytes(): Promise<number>;
  /** Housekeeping after compaction (SQLite: WAL checkpoint). */
  maintenance?(): Promise<void>;
  close(): Promise<void>;
}
