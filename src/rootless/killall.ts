/**
 * `k3s rootless killall`: stops every rootless k3s the calling user runs (upstream's
 * k3s-killall.sh is root-only). Each instance is found by its rootlesskit process (the user's
 * rootlesskit whose child command is `k3s ... --rootless`, so rootless Docker or Podman of the
 * same user is left alone). The systemd --user service holding it is stopped first (else
 * Restart=always brings it back); then SIGTERM to rootlesskit lets the server shut down
 * gracefully, and after the grace period SIGKILL to the namespaces' init (the rootlesskit child)
 * takes containerd, the shims and every container with it. Mounts, the tap device and
 * iptables rules live in those namespaces and vanish with them; the stale api.sock and
 * child_pid are removed so the next start is not confused.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../supervisor/sleep.js';

export interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly comm: string;
  readonly argv: readonly string[];
  /** The pid namespace link (e.g. "pid:[4026532...]"), when readable. */
  readonly pidns: string | undefined;
  /** The cgroup v2 path (the `0::` line). */
  readonly cgroup: string | undefined;
}

export interface RootlessInstance {
  /** The top rootlesskit process (the wrapper exec'd into it, or a resident launcher's child). */
  readonly pid: number;
  readonly stateDir: string;
  /** rootlesskit's child: init of the namespaces the server, containerd and containers run in. */
  readonly childPid: number | undefined;
  readonly childPidns: string | undefined;
  /** slirp4netns, the resident Node launcher (if any), and everything else under rootlesskit. */
  readonly helperPids: readonly number[];
  /** The systemd --user service the instance runs in, e.g. k3s-rootless.service. */
  readonly unit: string | undefined;
}

/** Every process /proc shows, with what killall needs to know; vanished ones are skipped. */
export function readProcesses(procRoot = '/proc'): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const dir = join(procRoot, name);
    try {
      const stat = readFileSync(join(dir, 'stat'), 'utf8');
      const status = readFileSync(join(dir, 'status'), 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const argv = readFileSync(join(dir, 'cmdline'), 'utf8').replace(/\0$/, '').split('\0');
      let pidns: string | undefined;
      try {
        pidns = readlinkSync(join(dir, 'ns/pid'));
      } catch {
        pidns = undefined;
      }
      let cgroup: string | undefined;
      try {
        cgroup = readFileSync(join(dir, 'cgroup'), 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3).trim() || undefined;
      } catch {
        cgroup = undefined;
      }
      out.push({
        pid: Number(name),
        ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]),
        uid,
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        argv,
        pidns,
        cgroup,
      });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** The user's rootless k3s instances, optionally only the one with this state dir. */
export function findInstances(processes: readonly ProcEntry[], uid: number, stateDir?: string): RootlessInstance[] {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const children = new Map<number, ProcEntry[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const descendants = (pid: number): ProcEntry[] => (children.get(pid) ?? []).flatMap((c) => [c, ...descendants(c.pid)]);
  const instances: RootlessInstance[] = [];
  for (const p of processes) {
    if (p.uid !== uid || basename(p.argv[0] ?? '') !== 'rootlesskit') continue;
    // rootlesskit has no --rootless flag: it is k3s's, in the child command rootlesskit runs.
    if (!p.argv.includes('--rootless')) continue;
    const dir = p.argv.find((a) => a.startsWith('--state-dir='))?.slice('--state-dir='.length);
    if (dir === undefined || (stateDir !== undefined && dir !== stateDir)) continue;
    const below = descendants(p.pid);
    // rootlesskit re-executes itself (/proc/self/exe) as the child inside the namespaces.
    const child = below.find((c) => c.ppid === p.pid && c.argv[0] === '/proc/self/exe');
    const parent = byPid.get(p.ppid);
    const launcher = parent && parent.uid === uid && parent.comm === 'node' ? [parent.pid] : [];
    instances.push({
      pid: p.pid,
      stateDir: dir,
      childPid: child?.pid,
      childPidns: child?.pidns,
      helperPids: [...launcher, ...below.filter((c) => c !== child && c.uid === uid).map((c) => c.pid)].sort((a, b) => a - b),
      unit: serviceUnit(p.cgroup),
    });
  }
  return instances;
}

/** The .service unit a cgroup path belongs to; scopes (terminals, systemd-run --scope) need no stop. */
export function serviceUnit(cgroup: string | undefined): string | undefined {
  const unit = cgroup?.split('/').reverse().find((part) => /\.(service|scope)$/.test(part));
  return unit?.endsWith('.service') && !/^user@\d+\.service$/.test(unit) ? unit : undefined;
}

export interface KillallOptions {
  readonly uid: number;
  /** Only the instance with this rootlesskit state dir (<data dir>/rootless). */
  readonly stateDir?: string;
  readonly graceMs: number;
  readonly env: NodeJS.ProcessEnv;
  readonly say: (line: string) => void;
  readonly procRoot?: string;
}

export async function killallRootless(options: KillallOptions): Promise<RootlessInstance[]> {
  const procRoot = options.procRoot ?? '/proc';
  const instances = findInstances(readProcesses(procRoot), options.uid, options.stateDir);
  for (const unit of new Set(instances.flatMap((i) => (i.unit ? [i.unit] : [])))) {
    try {
      await promisify(execFile)('systemctl', ['--user', 'stop', unit], { env: options.env, timeout: options.graceMs + 5000 });
      options.say(`stopped the systemd --user service ${unit}`);
    } catch (err) {
      options.say(`could not stop ${unit} with systemctl --user (${(err as Error).message.split('\n')[0]}): killing its processes instead`);
    }
  }
  // Everything in the namespaces, whatever uid it runs as there, dies with their init.
  const members = (instance: RootlessInstance): number[] =>
    instance.childPidns === undefined ? [] : readProcesses(procRoot).filter((p) => p.pidns === instance.childPidns).map((p) => p.pid);
  const watched = new Map(instances.map((i) => [i, [i.pid, ...(i.childPid ? [i.childPid] : []), ...i.helperPids, ...members(i)]]));
  for (const instance of instances) signal(instance.pid, 'SIGTERM');
  const alive = (pids: readonly number[]): number[] => pids.filter((pid) => exists(pid, procRoot));
  const deadline = Date.now() + options.graceMs;
  while (Date.now() < deadline && instances.some((i) => alive([i.pid]).length > 0)) await sleep(100);
  for (const instance of instances) {
    const left = alive(watched.get(instance) ?? []);
    if (left.length > 0) {
      // The child first: as init of the PID namespace its death kills every process inside.
      for (const pid of [instance.childPid, instance.pid, ...instance.helperPids]) if (pid !== undefined) signal(pid, 'SIGKILL');
      for (const pid of left) signal(pid, 'SIGKILL');
    }
  }
  const killDeadline = Date.now() + 10_000;
  while (Date.now() < killDeadline && instances.some((i) => alive(watched.get(i) ?? []).length > 0)) await sleep(100);
  for (const instance of instances) {
    const left = alive(watched.get(instance) ?? []);
    if (left.length > 0) throw new Error(`rootless k3s with state dir ${instance.stateDir}: processes ${left.join(', ')} survived SIGKILL`);
    for (const name of ['api.sock', 'child_pid']) rmSync(join(instance.stateDir, name), { force: true });
    options.say(`stopped rootless k3s (rootlesskit pid ${instance.pid}, state dir ${instance.stateDir}, ${(watched.get(instance) ?? []).length} processes)`);
  }
  return instances;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function exists(pid: number, procRoot: string): boolean {
  try {
    // A zombie still has a /proc entry but is gone for our purpose.
    const stat = readFileSync(join(procRoot, String(pid), 'stat'), 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
