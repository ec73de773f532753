/**
 * cgroups: the version (v1, hybrid, v2), which controllers exist, and, for rootless, whether this
 * user holds a delegated v2 subtree offering them. Rootless without delegation is a supported,
 * degraded mode (no resource limits), so it warns and never fails.
 */
import { degradedModeMessage, readCgroupState, type CgroupHost, type CgroupState } from '../../rootless/cgroups.js';
import type { Probe } from '../probe.js';
import { resultFor, type Check, type CheckResult } from '../types.js';

const REQUIRED = ['cpu', 'memory', 'pids'] as const;

/** The read-only part of a CgroupHost, answered by the probe; checks never write. */
function cgroupHost(probe: Probe): CgroupHost {
  const refuse = (): never => {
    throw new Error('preflight checks do not write to cgroups');
  };
  return {
    readFile: (path) => {
      const text = probe.readFile(path);
      if (text === undefined) throw new Error(`cannot read ${path}`);
      return text;
    },
    writable: (path) => probe.writable(path),
    writeFile: refuse,
    mkdir: refuse,
  };
}

function describeMode(state: CgroupState): string {
  if (state.mode === 'v2') return `cgroup v2 (unified, at ${state.v2Root})`;
  if (state.mode === 'hybrid') return `hybrid cgroups (v1 controllers, cgroup2 at ${state.v2Root})`;
  return 'cgroup v1';
}

/** Controllers the whole host offers: the v2 root's list on v2, enabled v1 hierarchies otherwise. */
export function hostControllers(probe: Probe, state: CgroupState): string[] {
  if (state.mode === 'v2' && state.v2Root) {
    return (probe.readFile(`${state.v2Root}/cgroup.controllers`) ?? '').trim().split(/\s+/).filter(Boolean);
  }
  const out: string[] = [];
  for (const line of (probe.readFile('/proc/cgroups') ?? '').split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const [name, hierarchy, , enabled] = line.trim().split(/\s+/);
    if (name && enabled === '1' && hierarchy !== '0') out.push(name);
  }
  return out;
}

export const cgroupsCheck: Check = (probe, ctx) => {
  const r = resultFor('cgroups', 'cgroups', 'cgroups');
  let state: CgroupState;
  try {
    state = readCgroupState(cgroupHost(probe));
  } catch (err) {
    return r.need(ctx.agent, `cannot read this process's cgroups: ${(err as Error).message}`, 'mount /proc and the cgroup filesystems (/sys/fs/cgroup)');
  }
  return ctx.rootless ? rootlessCgroups(state, r) : rootCgroups(probe, state, ctx.agent, r);
};

function rootCgroups(probe: Probe, state: CgroupState, agent: boolean, r: ReturnType<typeof resultFor>): CheckResult {
  const controllers = hostControllers(probe, state);
  const missing = REQUIRED.filter((c) => !controllers.includes(c));
  const detail = `${describeMode(state)}; controllers: ${controllers.join(' ') || 'none'}`;
  if (missing.includes('memory')) {
    // Upstream's agent refuses to start without it; Raspberry Pi OS is the usual case.
    return r.need(agent, `${detail}; the memory controller is missing`, 'add "cgroup_memory=1 cgroup_enable=memory" to the kernel command line and reboot');
  }
  if (missing.length > 0) {
    return r.warn(`${detail}; missing ${missing.join(', ')}: pod limits on them are not enforced`, `enable the ${missing.join(', ')} controller(s) in the kernel configuration or command line`);
  }
  return r.pass(detail);
}

function rootlessCgroups(state: CgroupState, r: ReturnType<typeof resultFor>): CheckResult {
  const split = (message: string): [string, string] => {
    const at = message.indexOf(' To fix: ');
    return at < 0 ? [message, ''] : [message.slice(0, at), message.slice(at + ' To fix: '.length)];
  };
  // Hybrid hosts can delegate too (the v2 tree is writable), it just offers no controllers.
  if (state.delegated) {
    const missing = REQUIRED.filter((c) => !state.controllers.includes(c));
    const detail = `${describeMode(state)}; delegated subtree ${state.cgroup} offers: ${state.controllers.join(' ') || 'no controllers'}`;
    if (missing.length === 0) return r.pass(detail);
    const [why, fix] = split(degradedModeMessage(state, `the delegated subtree lacks ${missing.join(', ')}`));
    return r.warn(`${detail}; ${why}`, fix || `delegate ${missing.join(', ')} to user@.service (a Delegate= drop-in)`);
  }
  if (state.mode === 'v2') {
    const [, fix] = split(degradedModeMessage(state, ''));
    return r.warn(
      `${describeMode(state)}; this process's cgroup ${state.cgroup ?? '(unknown)'} is not delegated to this user. k3s server --rootless asks the systemd --user manager for a delegated scope at start (see "systemd --user manager"); without one it runs without resource limits`,
      fix,
    );
  }
  const [why, fix] = split(degradedModeMessage(state, ''));
  return r.warn(`${describeMode(state)}; ${why}`, fix);
}
