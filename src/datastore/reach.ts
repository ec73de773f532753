/**
 * Start-up against an external datastore (postgres, mysql, etcd) that may not be up yet:
 * retries what is transient with doubling delays and one log line per attempt, fails at once on
 * what waiting cannot fix (bad password, refused certificate), and gives up after a deadline
 * with a DatastoreOpenError naming the server as describeEndpoint does (never the password).
 */
import type { Logger } from '../log/index.js';
import { DatastoreOpenError } from './types.js';
import { sleep } from '../supervisor/sleep.js';

export interface ReachOptions {
  /** "postgres k3s@127.0.0.1:5432/kubernetes": what we are connecting to, for messages. */
  readonly what: string;
  /** Give up after this long (Infinity: until aborted, as a server waiting for its datastore). */
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Whether waiting can fix this error (connection refused, server starting up, ...). */
  readonly transient: (err: unknown) => boolean;
  /** Turns an error into the one-line reason shown to the user. */
  readonly reason: (err: unknown) => string;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Calls `attempt` until it succeeds, a non-transient error occurs, the deadline passes or `signal` aborts. */
export async function retryUntilReachable<T>(attempt: () => Promise<T>, options: ReachOptions): Promise<T> {
  const started = Date.now();
  let delay = options.initialDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 15_000;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const reason = options.reason(err);
      if (options.signal.aborted) throw new DatastoreOpenError(`stopped while connecting to ${options.what}: ${reason}`, { cause: err });
      if (!options.transient(err)) throw new DatastoreOpenError(`cannot use the datastore ${options.what}: ${reason}`, { cause: err });
      const elapsed = Date.now() - started;
      if (elapsed + delay > options.timeoutMs) {
        throw new DatastoreOpenError(
          `cannot reach the datastore ${options.what}: ${reason}; gave up after ${n} attempts in ${Math.round(elapsed / 1000)} s. Check that the database server is running and reachable from this host`,
          { cause: err },
        );
      }
      // One line per attempt, attempts spreading out: a database that is down shows in the log
      // without flooding it.
      options.log.warn({ datastore: options.what, attempt: n, retryInMs: delay, reason }, 'datastore not reachable yet; retrying');
      await sleep(delay, options.signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
