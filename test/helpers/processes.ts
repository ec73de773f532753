/**
 * What /proc says about the host's processes, for test clean-ups that must find the processes a
 * test started (and only those) and prove they are gone. A process is named by its PID and its
 * start time together, so a PID the kernel hands to a newer process is never mistaken for it.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** One-letter state from /proc/PID/stat (R, S, D, Z...). */
  readonly state: string;
  /** Clock ticks after boot: with the PID, identifies the process across PID reuse. */
  readonly startTime: number;
  readonly comm: string;
  readonly argv: readonly string[];
  /** /proc/PID/cgroup as is: one line per hierarchy. */
  readonly cgroups: string;
  /** The pid namespace link ("pid:[4026531836]"), undefined when unreadable. */
  readonly pidns: string | undefined;
}

/** The process `pid`, or undefined once it is gone (or only a zombie is left of it). */
export function readProcess(pid: number): ProcessInfo | undefined {
  const dir = `/proc/${pid}`;
  try {
    const stat = readFileSync(`${dir}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    // Fields after the comm: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
    // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime.
    const fields = stat.slice(close + 2).split(' ');
    const state = fields[0] ?? '?';
    if (state === 'Z' || state === 'X') return undefined;
    // An exiting process may already have lost its memory map or cgroup while it still runs
    // (its children are not yet reparented): it counts as running, with what could be read.
    const optional = <T>(read: () => T, fallback: T): T => {
      try {
        return read();
      } catch {
        return fallback;
      }
    };
    return {
      pid,
      ppid: Number(fields[1]),
      state,
      startTime: Number(fields[19]),
      comm: stat.slice(stat.indexOf('(') + 1, close),
      argv: optional(() => readFileSync(`${dir}/cmdline`, 'utf8').replace(/\0$/, '').split('\0'), []),
      cgroups: optional(() => readFileSync(`${dir}/cgroup`, 'utf8'), ''),
      pidns: optional<string | undefined>(() => readlinkSync(`${dir}/ns/pid`), undefined),
    };
  } catch {
    return undefined;
  }
}

/** Every live process (zombies left out: they run nothing and only their parent can remove them). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProcess(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** Whether the very process `p` (same PID, same start time) still runs. */
export function stillRunning(p: Pick<ProcessInfo, 'pid' | 'startTime'>): boolean {
  return readProcess(p.pid)?.startTime === p.startTime;
}

/** SIGKILL, ignoring a process that is already gone. */
export function killNow(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}

/** "pid comm (args)" for failure messages. */
export function describeProcess(p: ProcessInfo): string {
  return `${p.pid} ${p.comm} (${p.argv.join(' ').slice(0, 120)})`;
}
