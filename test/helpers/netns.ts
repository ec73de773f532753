/**
 * Network namespaces made by a test, so that root-mode nodes (their cni0 bridge, iptables rules,
 * host ports, DNS on the cluster IP) never collide with the host's or another test's. Each
 * namespace gets loopback up and a veth pair to the host on its own /30 from 10.250.0.0/16,
 * so the host can reach the node like another machine on the network.
 */
import { readdirSync } from 'node:fs';
import { run, spawnTracked, type RunResult, type Tracked } from './index.js';
import type { SpawnOptions } from 'node:child_process';

interface Cleanup {
  after(fn: () => unknown): void;
}

export interface NetNamespace {
  readonly name: string;
  /** The host's end of the veth pair. */
  readonly hostIP: string;
  /** The namespace's end of the veth pair: the node's address as the host sees it. */
  readonly nodeIP: string;
  /** The namespace-side interface name. */
  readonly iface: string;
  /** argv prefix that runs a command inside the namespace. */
  readonly prefix: readonly string[];
  /** Runs a command to completion inside the namespace. */
  run(command: string, args: readonly string[], options?: SpawnOptions & { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Spawns a long-running process inside the namespace, killed by PID when the test ends. */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): Tracked;
}

let counter = 0;

/** The /30 for a namespace: derived from PID and a counter so concurrent test files do not collide. */
function subnet(): { hostIP: string; nodeIP: string } {
  const n = ((process.pid % 4096) * 16 + (counter % 16)) % 16384;
  const third = Math.floor(n / 64);
  const fourth = (n % 64) * 4;
  return { hostIP: `10.250.${third}.${fourth + 1}`, nodeIP: `10.250.${third}.${fourth + 2}` };
}

async function must(command: string, args: readonly string[]): Promise<void> {
  const r = await run(command, args);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

/**
 * Lets two test namespaces reach each other's node addresses, as two machines on one network: a
 * veth pair between them on its own /30 from 10.251.0.0/16, with host routes to the other's
 * nodeIP (sourced from the own nodeIP). Nothing on the host changes (no forwarding sysctl).
 */
export async function connectNamespaces(t: Cleanup, a: NetNamespace, b: NetNamespace): Promise<void> {
  counter++;
  const id = `${process.pid.toString(36)}${counter.toString(36)}`;
  const aIf = `k3a${id}`.slice(0, 15);
  const bIf = `k3b${id}`.slice(0, 15);
  const { hostIP: aLinkIP, nodeIP: bLinkIP } = subnet();
  const aLink = aLinkIP.replace(/^10\.250\./, '10.251.');
  const bLink = bLinkIP.replace(/^10\.250\./, '10.251.');
  await must('ip', ['link', 'add', aIf, 'netns', a.name, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name]);
  // Deleting either namespace removes the pair; this covers a test that keeps both alive longer.
  t.after(() => run('ip', ['netns', 'exec', a.name, 'ip', 'link', 'del', aIf]));
  for (const [ns, iface, own, peer, peerNode, ownNode] of [
    [a, aIf, aLink, bLink, b.nodeIP, a.nodeIP],
    [b, bIf, bLink, aLink, a.nodeIP, b.nodeIP],
  ] as const) {
    await must('ip', ['netns', 'exec', ns.name, 'ip', 'addr', 'add', `${own}/30`, 'dev', iface]);
    await must('ip', ['netns', 'exec', ns.name, 'ip', 'link', 'set', iface, 'up']);
    await must('ip', ['netns', 'exec', ns.name, 'ip', 'route', 'add', `${peerNode}/32`, 'via', peer, 'src', ownNode]);
  }
}

/** Whether `pid` names a running process (ours or not). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

let sweptDeadRuns = false;

/** The named network namespaces; none on a machine where `ip netns add` has never run (no /run/netns yet). */
function namespaceNames(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Removes the namespaces of test processes that were killed before their clean-up ran (a
 * cancelled run): their name carries the creating process's PID, and that process is gone.
 */
async function removeNamespacesOfDeadTests(): Promise<void> {
  if (sweptDeadRuns) return;
  sweptDeadRuns = true;
  for (const name of namespaceNames()) {
    const m = /^k3st-[a-z0-9]*-([0-9a-z]+)-[0-9a-z]+$/.exec(name);
    if (!m || processAlive(parseInt(m[1]!, 36))) continue;
    for (const pid of (await run('ip', ['netns', 'pids', name])).stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run('ip', ['netns', 'del', name]);
  }
}

/** Creates a namespace (root only). Removed, with every process still inside killed, when the test ends. */
export async function createNetNamespace(t: Cleanup, label = 'node'): Promise<NetNamespace> {
  await removeNamespacesOfDeadTests();
  counter++;
  const id = `${process.pid.toString(36)}${counter.toString(36)}`;
  // The creator's PID, dash-separated, lets a later run find the namespaces of a killed one.
  const name = `k3st-${label.replace(/[^a-z0-9]/g, '').slice(0, 6)}-${process.pid.toString(36)}-${counter.toString(36)}`;
  const hostIf = `k3h${id}`.slice(0, 15);
  const nsIf = `k3n${id}`.slice(0, 15);
  const { hostIP, nodeIP } = subnet();
  await must('ip', ['netns', 'add', name]);
  t.after(async () => {
    // Whatever still runs inside (containerd shims, pod processes) goes with the namespace.
    const pids = (await run('ip', ['netns', 'pids', name])).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run('ip', ['link', 'del', hostIf]);
    await run('ip', ['netns', 'del', name]);
  });
  // nsenter, not `ip netns exec`: that one remounts /sys in a new mount namespace, which hides
  // the cgroup mounts (runc then fails: "no cgroup mount found in mountinfo").
  const prefix = ['nsenter', `--net=/run/netns/${name}`];
  await must('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
  await must('ip', ['link', 'set', nsIf, 'netns', name]);
  await must('ip', ['addr', 'add', `${hostIP}/30`, 'dev', hostIf]);
  await must('ip', ['link', 'set', hostIf, 'up']);
  await must('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  await must('ip', ['netns', 'exec', name, 'ip', 'addr', 'add', `${nodeIP}/30`, 'dev', nsIf]);
  await must('ip', ['netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up']);
  // A default route makes the node's address the one its components pick (as on a real host).
  await must('ip', ['netns', 'exec', name, 'ip', 'route', 'add', 'default', 'via', hostIP]);
  return {
    name,
    hostIP,
    nodeIP,
    iface: nsIf,
    prefix,
    run: (command, args, options = {}) => run(prefix[0]!, [...prefix.slice(1), command, ...args], options),
    spawn: (command, args, options = {}) => spawnTracked(t, prefix[0]!, [...prefix.slice(1), command, ...args], options),
  };
}
