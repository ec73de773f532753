/**
 * What the client/server SQL drivers (postgres, mysql) share on top of the generic log:
 *
 *   driveAsync       runs a log Program across awaits (one statement at a time)
 *   ExternalSqlLog   the SqlLog whose start() first waits for the server (reach.ts), and whose
 *                    close() stops that wait; externalSqlLog assembles one for a driver
 *   readTlsFiles     the --datastore-cafile/certfile/keyfile contents, read up front
 */
import { readFileSync } from 'node:fs';
import { logger } from '../log/index.js';
import type { ClientTls } from './endpoint.js';
import { retryUntilReachable } from './reach.js';
import type { Dialect, Program, SqlExecutor, Statement, StatementResult } from './sql/dialect.js';
import { SqlLog, type SqlLogOptions } from './sql/log.js';
import { DatastoreOpenError } from './types.js';

export { retryUntilReachable, type ReachOptions } from './reach.js';

/** Runs `program`, awaiting each statement; statement errors are thrown into the program. */
export async function driveAsync<T>(program: Program<T>, execute: (statement: Statement) => Promise<StatementResult>): Promise<T> {
  let step = program.next();
  while (!step.done) {
    let result: StatementResult;
    try {
      result = await execute(step.value);
    } catch (err) {
      step = program.throw(err);
      continue;
    }
    step = program.next(result);
  }
  return step.value;
}

/** Common options of the postgres and mysql drivers. */
export type ExternalSqlOptions = Omit<SqlLogOptions, 'dialect' | 'executor' | 'description'> & {
  /** How long start() waits for an unreachable server (default: until close()). */
  readonly startTimeoutMs?: number;
};

/** A SqlLog whose start() first waits for its server (see retryUntilReachable). */
export class ExternalSqlLog extends SqlLog {
  readonly #abort = new AbortController();

  constructor(
    options: SqlLogOptions,
    private readonly connect: (signal: AbortSignal) => Promise<void>,
  ) {
    super(options);
  }

  override async start(): Promise<void> {
    await this.connect(this.#abort.signal);
    await super.start();
  }

  override async close(): Promise<void> {
    this.#abort.abort();
    await super.close();
  }
}

/** What a client/server driver brings: its dialect, its pool's executor, and how to read its errors. */
export interface ExternalSqlDriver {
  /** The endpoint for logs and errors, without its password. */
  readonly what: string;
  readonly dialect: Dialect;
  readonly executor: SqlExecutor;
  /** One round trip that also creates the database when missing (as upstream kine does). */
  readonly ensureDatabase: () => Promise<void>;
  /** Errors that waiting can fix (server not up yet, too many connections). */
  readonly transient: (err: unknown) => boolean;
  /** The error as a user should read it, with the fix where one is known. */
  readonly reason: (err: unknown) => string;
}

/** The log of a client/server driver: polls for other servers' commits, and start() waits for the server. */
export function externalSqlLog(driver: ExternalSqlDriver, options: ExternalSqlOptions): ExternalSqlLog {
  const log = options.logger ?? logger('datastore');
  const { startTimeoutMs, ...logOptions } = options;
  return new ExternalSqlLog(
    { pollIntervalMs: 250, ...logOptions, dialect: driver.dialect, executor: driver.executor, description: driver.what, logger: log },
    (signal) =>
      retryUntilReachable(driver.ensureDatabase, {
        what: driver.what,
        timeoutMs: startTimeoutMs ?? Infinity,
        log,
        signal,
        transient: driver.transient,
        reason: driver.reason,
      }),
  );
}

/** The TLS files named by --datastore-cafile/certfile/keyfile, read now so a bad path fails at start with its name. */
export function readTlsFiles(tls: ClientTls, driver: string): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new DatastoreOpenError(`cannot read the ${driver} ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
  };
  const ca = read(tls.caFile, 'CA file (--datastore-cafile)');
  const cert = read(tls.certFile, 'client certificate (--datastore-certfile)');
  const key = read(tls.keyFile, 'client key (--datastore-keyfile)');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}
