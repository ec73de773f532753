/**
 * Logging: pino JSON with a `component` field on every line; pretty output when stderr is a TTY.
 *
 *   const log = rootLogger.child({ component: 'datastore' });
 *
 * The root logger is configured once by the CLI (`configureLogging`) from the Config; components
 * only ever call `logger(component)`. Secrets never reach a log line: fields named like
 * credentials are redacted as a safety net, and Config secrets serialize as "[redacted]".
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type Pretty from 'pino-pretty';

export type { Logger };

const REDACT = [
  'token',
  'password',
  'secret',
  '*.token',
  '*.password',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

/** Built on first use: the CLI configures it before anything logs, so it is built once per start. */
let root: Logger | undefined;

function build(level: LevelWithSilent, forcePretty: boolean): Logger {
  const options = { level, base: { pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } };
  const usePretty = forcePretty || (process.stderr.isTTY && process.env.K3S_LOG_FORMAT !== 'json');
  if (usePretty) {
    // Loaded only for a terminal (~40 ms of start-up): services and tests log JSON.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof Pretty;
    return pino(options, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname' }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

export interface LoggingOptions {
  debug: boolean;
  /** Overrides the level implied by `debug` (e.g. "silent" in tests). */
  level?: LevelWithSilent;
}

export function configureLogging(options: LoggingOptions): void {
  const level = options.level ?? (process.env.K3S_LOG_LEVEL as LevelWithSilent | undefined) ?? (options.debug ? 'debug' : 'info');
  root = build(level, false);
}

/** A logger for one component; lines carry `component`. */
export function logger(component: string): Logger {
  root ??= build('info', false);
  return root.child({ component });
}
