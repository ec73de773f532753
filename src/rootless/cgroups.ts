/**
 * cgroup v2 delegation: where this process sits in the v2 hierarchy, whether that subtree is
 * delegated to us (writable), and which controllers it offers. Hybrid hosts (v1 controllers
 * with a controller-less cgroup2 at /sys/fs/cgroup/unified) and cgroup v1 hosts can never
 * delegate cpu/memory/pids: that is a supported, degraded mode, reported once with the fix.
 */
import { accessSync, constants, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** File access through a seam, so tests can describe a host instead of needing one. */
export interface CgroupHost {
  readFile(path: string): string;
  writable(path: string): boolean;
  writeFile(path: string, data: string): void;
  mkdir(path: string): void;
}

export const realCgroupHost: CgroupHost = {
  readFile: (path) => readFileSync(path, 'utf8'),
  writable: (path) => {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  writeFile: (path, data) => writeFileSync(path, data),
  mkdir: (path) => mkdirSync(path, { recursive: true }),
};

export interface CgroupState {
  /** 'v2' unified, 'hybrid' (v1 controllers + a cgroup2 mount), 'v1' (no cgroup2 at all). */
  readonly mode: 'v2' | 'hybrid' | 'v1';
  /** Mount point of the v2 hierarchy, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified. */
  readonly v2Root: string | undefined;
  /** This process's v2 cgroup, e.g. /user.slice/user-1000.slice/user@1000.service/app.slice/k3s.scope. */
  readonly cgroup: string | undefined;
  /** The process's cgroup directory is ours to manage (a delegated subtree). */
  readonly delegated: boolean;
  /** Controllers the subtree offers (cgroup.controllers). */
  readonly controllers: readonly string[];
}

export const WANTED_CONTROLLERS = ['cpu', 'memory', 'pids', 'cpuset', 'io'] as const;

export function readCgroupState(host: CgroupHost = realCgroupHost, selfCgroupFile = '/proc/self/cgroup', mountInfoFile = '/proc/self/mountinfo'): CgroupState {
  const mounts = host.readFile(mountInfoFile).split('\n');
  const v2Mount = mounts.map((line) => line.split(' ')).find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
  const v1Present = mounts.some((line) => {
    const f = line.split(' ');
    return f[f.indexOf('-') + 1] === 'cgroup';
  });
  const v2Root = v2Mount?.[4];
  const mode: CgroupState['mode'] = v2Root === undefined ? 'v1' : v1Present ? 'hybrid' : 'v2';
  const line = host.readFile(selfCgroupFile).split('\n').find((l) => l.startsWith('0::'));
  const cgroup = line?.slice(3).trim() || undefined;
  if (v2Root === undefined || cgroup === undefined) return { mode, v2Root, cgroup, delegated: false, controllers: [] };
  const dir = join(v2Root, cgroup);
  const delegated = host.writable(dir) && host.writable(join(dir, 'cgroup.procs')) && host.writable(join(dir, 'cgroup.subtree_control'));
  let controllers: string[] = [];
  try {
    controllers = host.readFile(join(dir, 'cgroup.controllers')).trim().split(/\s+/).filter(Boolean);
  } catch {
    controllers = [];
  }
  return { mode, v2Root, cgroup, delegated, controllers };
}

export interface EnableResult {
  readonly enabled: readonly string[];
  /** Wanted controllers this subtree cannot offer. */
  readonly missing: readonly string[];
}

/**
 * Enables the wanted controllers for the children of `dir`, first moving every process of `dir`
 * into the leaf `dir/init` (cgroup v2's "no internal processes" rule forbids controllers in a
 * cgroup that still holds processes).
 */
export function enableControllers(dir: string, offered: readonly string[], host: CgroupHost = realCgroupHost): EnableResult {
  const enabled = WANTED_CONTROLLERS.filter((c) => offered.includes(c));
  const missing = WANTED_CONTROLLERS.filter((c) => !offered.includes(c));
  if (enabled.length === 0) return { enabled, missing };
  const leaf = join(dir, 'init');
  host.mkdir(leaf);
  for (const pid of host.readFile(join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
    try {
      host.writeFile(join(leaf, 'cgroup.procs'), pid);
    } catch {
      // the process exited meanwhile
    }
  }
  host.writeFile(join(dir, 'cgroup.subtree_control'), enabled.map((c) => `+${c}`).join(' '));
  return { enabled, missing };
}

/** The one clear explanation shown when containers will run without resource limits. */
export function degradedModeMessage(state: CgroupState, reason: string): string {
  const why =
    state.mode === 'v1'
      ? 'this host has only cgroup v1, which cannot be delegated to a user'
      : state.mode === 'hybrid'
        ? 'this host uses hybrid cgroups: cpu, memory and pids are bound to the v1 hierarchy, so the cgroup v2 tree offers no controllers'
        : reason;
  return (
    `running without cgroup resource limits: ${why}. Pods run, but CPU/memory limits are not enforced and kubectl top has no data. ` +
    'To fix: boot with cgroup v2 only (kernel parameter systemd.unified_cgroup_hierarchy=1) and start k3s from a systemd --user unit with Delegate=yes ' +
    '(systemctl --user enable --now k3s-rootless) or with systemd-run --user -p Delegate=yes --tty k3s server --rootless.'
  );
}
