/**
 * Who runs, and for how long, while pods start: records the scheduler's tracepoints with
 * `perf record -a` (sched_stat_runtime gives every slice of CPU a task got, in ns, kernel and
 * user alike; sched_process_fork and sched_process_exec give the tree and the programs) and
 * keeps only the tasks that descend from the given roots (the node's processes, seeded from
 * /proc at start: threads and processes that existed before the recording began). Short
 * processes are counted exactly, which process accounting (10 ms units, truncated) cannot do.
 * Needs root and perf; machine-wide recording, so its own cost (a few % CPU) lands on everyone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../helpers/index.js';

export interface CpuTraceRow {
  /** The task's command name (after its last exec), grouped: runc's stages are one row each. */
  readonly comm: string;
  /** Processes (thread-group leaders) that ran under this name. */
  readonly processes: number;
  /** execve calls that turned a task into this program. */
  readonly execs: number;
  readonly cpuMs: number;
}

export interface CpuTrace {
  stop(): Promise<CpuTraceRow[]>;
}

/** Thread ids of every process whose tgid is in `pids`. */
function threadsOf(pids: Iterable<number>): number[] {
  const out: number[] = [];
  for (const pid of pids) {
    try {
      for (const t of readdirSync(`/proc/${pid}/task`)) out.push(Number(t));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Processes in network namespace `nsInode` (the node's own processes, not its pods'). */
export function pidsInNetns(nsInode: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === nsInode) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export async function startCpuTrace(dir: string, roots: Iterable<number>): Promise<CpuTrace> {
  const data = join(dir, 'perf.data');
  const seed = new Set(threadsOf(roots));
  const perf: ChildProcess = spawn('perf', ['record', '-q', '-o', data, '-e', 'sched:sched_stat_runtime', '-e', 'sched:sched_process_fork', '-e', 'sched:sched_process_exec', '-a'], { stdio: 'ignore' });
  // perf needs a moment to open its ring buffers on every CPU before events are kept.
  await new Promise((r) => setTimeout(r, 1500));
  return {
    async stop(): Promise<CpuTraceRow[]> {
      perf.kill('SIGINT');
      await new Promise((r) => perf.once('exit', r));
      const script = await run('perf', ['script', '-i', data, '-F', 'pid,tid,event,trace'], { timeoutMs: 300_000 });
      rmSync(data, { force: true });
      return summarize(script.stdout, seed);
    },
  };
}

/** Parses `perf script -F pid,tid,event,trace` output; exported for its unit test. */
export function summarize(text: string, seed: ReadonlySet<number>): CpuTraceRow[] {
  const ours = new Set(seed);
  const runtime = new Map<string, number>();
  const processes = new Map<string, Set<number>>();
  const execs = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\/(\d+)\s+sched:(\w+):\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, pidText, tidText, event, fields] = m as unknown as [string, string, string, string, string];
    const tid = Number(tidText);
    if (event === 'sched_process_fork') {
      const child = /child_pid=(\d+)/.exec(fields);
      if (child && ours.has(tid)) ours.add(Number(child[1]));
      continue;
    }
    if (!ours.has(tid)) continue;
    if (event === 'sched_process_exec') {
      const file = /filename=(\S+)/.exec(fields)?.[1] ?? '?';
      const comm = file.slice(file.lastIndexOf('/') + 1).slice(0, 15);
      execs.set(comm, (execs.get(comm) ?? 0) + 1);
      continue;
    }
    if (event !== 'sched_stat_runtime') continue;
    const r = /comm=(.*) pid=\d+ runtime=(\d+)/.exec(fields);
    if (!r) continue;
    const comm = r[1]!;
    runtime.set(comm, (runtime.get(comm) ?? 0) + Number(r[2]));
    let set = processes.get(comm);
    if (!set) processes.set(comm, (set = new Set()));
    set.add(Number(pidText));
  }
  const names = new Set([...runtime.keys(), ...execs.keys()]);
  return [...names]
    .map((comm) => ({ comm, processes: processes.get(comm)?.size ?? 0, execs: execs.get(comm) ?? 0, cpuMs: Math.round((runtime.get(comm) ?? 0) / 1e5) / 10 }))
    .sort((a, b) => b.cpuMs - a.cpuMs);
}
