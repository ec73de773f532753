/**
 * Container logs from the CRI log files the runtime writes (`<RFC3339Nano> stdout|stderr F|P
 * <text>` per line, P for a partial line continued by the next entry), with the options of
 * GET pods/log: tailLines, timestamps, sinceSeconds/sinceTime, limitBytes and follow (read
 * appended entries until the container exits or the caller goes away).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { sleep } from '../../supervisor/sleep.js';

export interface LogOptions {
  readonly follow: boolean;
  readonly tailLines?: number;
  readonly timestamps: boolean;
  /** Entries before this instant are skipped (sinceSeconds or sinceTime). */
  readonly since?: Date;
  readonly limitBytes?: number;
}

export interface LogEntry {
  /** The timestamp as written (RFC3339Nano, trailing zeros trimmed). */
  readonly time: string;
  readonly ms: number;
  readonly stream: 'stdout' | 'stderr';
  /** True for a complete line (F), false for a partial one (P). */
  readonly full: boolean;
  readonly text: string;
}

/** One line of a CRI log file, undefined when it is not in that format. */
export function parseLogLine(line: string): LogEntry | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
  if (!m) return undefined;
  const ms = Date.parse(m[1]!);
  if (Number.isNaN(ms)) return undefined;
  return { time: m[1]!, ms, stream: m[2] as 'stdout' | 'stderr', full: m[3] === 'F', text: m[4]! };
}

/** Upstream's RFC3339NanoFixed: always nine fraction digits, so timestamps sort as text. */
export function fixedNano(time: string): string {
  const m = /^([^.Z+]+?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

export function formatEntry(entry: LogEntry, timestamps: boolean): string {
  const text = entry.full ? `${entry.text}\n` : entry.text;
  return timestamps ? `${fixedNano(entry.time)} ${text}` : text;
}

/** The entries of the last `n` lines (a line ends at an F entry; partials belong to the next F). */
export function tail(entries: readonly LogEntry[], n: number): LogEntry[] {
  if (n <= 0) return [];
  let lines = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i]!.full) {
      lines++;
      if (lines > n) return entries.slice(i + 1);
    }
  }
  return [...entries];
}

/** Writes the log to `write` (which returns false to stop); resolves when done. */
export async function streamLog(
  path: string,
  options: LogOptions,
  write: (text: string) => boolean | Promise<boolean>,
  stillRunning: () => Promise<boolean>,
  signal: AbortSignal,
): Promise<void> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  let budget = options.limitBytes ?? Infinity;
  const emit = async (entries: readonly LogEntry[]): Promise<boolean> => {
    for (const entry of entries) {
      if (options.since && entry.ms < options.since.getTime()) continue;
      let text = formatEntry(entry, options.timestamps);
      if (Buffer.byteLength(text) > budget) text = Buffer.from(text).subarray(0, budget).toString('utf8');
      budget -= Buffer.byteLength(text);
      if (!(await write(text))) return false;
      if (budget <= 0) return false;
    }
    return true;
  };
  try {
    let position = 0;
    let carry = '';
    const readNew = async (): Promise<LogEntry[]> => {
      const size = (await file.stat()).size;
      if (size < position) position = 0; // truncated: start over
      if (size === position) return [];
      const buffer = Buffer.alloc(size - position);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      position += bytesRead;
      const text = carry + buffer.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      carry = lines.pop() ?? '';
      return lines.map(parseLogLine).filter((e): e is LogEntry => e !== undefined);
    };
    const first = await readNew();
    if (!(await emit(options.tailLines !== undefined ? tail(first, options.tailLines) : first))) return;
    if (!options.follow) return;
    // Follow: poll the file (the runtime appends; inotify would miss writes from another mount ns).
    for (;;) {
      if (signal.aborted) return;
      const entries = await readNew();
      if (entries.length > 0) {
        if (!(await emit(entries))) return;
        continue;
      }
      if (!(await stillRunning())) {
        // One last read: the runtime may have flushed the final lines just before exiting.
        await sleep(100, signal);
        await emit(await readNew());
        return;
      }
      await sleep(200, signal);
    }
  } finally {
    await file.close();
  }
}
