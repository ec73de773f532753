/**
 * What the client/server SQL drivers (postgres, mysql) share on top of the generic log:
 *
 *   driveAsync       runs a log Program across awaits (one statement at a time)
 *   ExternalSqlLog   the SqlLog whose start() first waits for the server (reach.ts), and whose
 *                    close() stops that wait
 */
import type { Program, Statement, StatementResult } from './sql/dialect.js';
import { SqlLog, type SqlLogOptions } from './sql/log.js';

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
