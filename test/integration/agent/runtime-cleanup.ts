/**
 * Leaves the host as a test found it after a real containerd ran pods: every sandbox this
 * test's runtime holds is stopped and removed through CRI (which unmounts rootfs, tears down
 * netns and CNI state), then whatever that runtime started and still runs is killed, then the
 * test's bridge is deleted.
 *
 * Why the kill: a container process is a child of its containerd-shim, not of containerd or
 * k3s. Killing k3s, containerd and the shims (as a test's namespace teardown does) while a
 * container still runs leaves that container alive, reparented to PID 1, in its k8s.io cgroup,
 * for good: a busy loop there burned a core for 40 minutes. So the container processes are found
 * by what ties them to this test alone and killed before their shims: the task ids in this
 * containerd's state dir (one bundle dir per sandbox or container, left behind when its shim is
 * killed) name their cgroups, and the shims carry this containerd's socket in their -address.
 * Nothing is matched by a global pattern, so concurrent tests' containers are never touched.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { containerdPaths, CriClient } from '../../../src/agent/index.js';
import { run } from '../../helpers/index.js';
import { describeProcess, killNow, listProcesses, stillRunning, type ProcessInfo } from '../../helpers/processes.js';

export async function cleanUpRuntime(socket: string, bridge?: string): Promise<void> {
  if (existsSync(socket)) await removeSandboxes(socket);
  await killRuntimeProcesses(socket);
  if (bridge) await run('ip', ['link', 'del', bridge]);
}

async function removeSandboxes(socket: string): Promise<void> {
  const cri = new CriClient(socket, { timeoutMs: 20_000 });
  try {
    for (const sandbox of await cri.listPodSandbox()) {
      for (const c of await cri.listContainers({ podSandboxId: sandbox.id })) await cri.stopContainer(c.id, 0).catch(() => undefined);
      await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
      await cri.removePodSandbox(sandbox.id).catch(() => undefined);
    }
  } catch {
    // containerd already gone: nothing to clean through it.
  } finally {
    cri.close();
  }
}

const TASKS_DIR = 'io.containerd.runtime.v2.task';

/**
 * The task ids (pod sandboxes and containers) whose bundles are in the state dir of the
 * containerd serving `socket`, per containerd namespace (k8s.io for CRI): the shim removes a
 * bundle only once its task is deleted, so a killed shim's stays.
 */
export function runtimeTaskIds(socket: string): Set<string> {
  const tasks = join(dirname(socket), TASKS_DIR);
  const ids = new Set<string>();
  if (!existsSync(tasks)) return ids;
  for (const namespace of readdirSync(tasks)) {
    try {
      for (const id of readdirSync(join(tasks, namespace))) ids.add(id);
    } catch {
      // not a directory
    }
  }
  return ids;
}

export interface RuntimeProcesses {
  /** Processes in the cgroup of one of the runtime's tasks: the containers and what they forked. */
  readonly containers: ProcessInfo[];
  /** containerd-shim processes of this containerd (their -address is its socket). */
  readonly shims: ProcessInfo[];
}

/** The processes the containerd serving `socket` started that are still alive, for the given task ids. */
export function runtimeProcesses(socket: string, ids: ReadonlySet<string>): RuntimeProcesses {
  const containers: ProcessInfo[] = [];
  const shims: ProcessInfo[] = [];
  for (const p of listProcesses()) {
    if (/containerd-shim/.test(p.argv[0] ?? '') && p.argv.includes(socket)) shims.push(p);
    else if ((p.cgroups.match(/[0-9a-f]{64}/g) ?? []).some((id) => ids.has(id))) containers.push(p);
  }
  return { containers, shims };
}

/**
 * SIGKILLs every container process of the containerd serving `socket`, then its shims (in this
 * order, so no container is orphaned even for a moment), repeating until none is left (a process
 * may fork between a scan and the kill) or `timeoutMs` passes. Removes the cgroups the shims
 * could not. Returns what it killed and what still ran at the end (only an unkillable process,
 * e.g. one stuck in the kernel, can be left). `socket` need not exist any more.
 */
export async function killRuntimeProcesses(socket: string, timeoutMs = 15_000): Promise<{ killed: ProcessInfo[]; survivors: ProcessInfo[] }> {
  const ids = runtimeTaskIds(socket);
  const cgroupPaths = taskCgroupPaths(socket, ids);
  const killed = new Map<string, ProcessInfo>();
  const deadline = Date.now() + timeoutMs;
  let left: ProcessInfo[] = [];
  for (;;) {
    // Tasks started meanwhile (containerd may still run) count too.
    for (const id of runtimeTaskIds(socket)) ids.add(id);
    for (const [id, path] of taskCgroupPaths(socket, ids)) cgroupPaths.set(id, path);
    const { containers, shims } = runtimeProcesses(socket, ids);
    // Shims only once their containers are gone: a shim is what reaps and reports its container.
    const targets = containers.length > 0 ? containers : shims;
    left = [...containers, ...shims];
    if (left.length === 0 || Date.now() > deadline) break;
    for (const p of targets) {
      killNow(p.pid);
      killed.set(`${p.pid}/${p.startTime}`, p);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (left.length === 0) removeCgroups(cgroupPaths);
  return { killed: [...killed.values()], survivors: left.filter(stillRunning) };
}

/**
 * For the end of a test, once the node's own processes are gone: kills whatever the runtime of
 * `socket` still runs and fails (throws, naming the processes) if anything survives that, so a
 * test that would leave a container process behind does not pass.
 */
export async function assertRuntimeGone(socket: string): Promise<void> {
  const { survivors } = await killRuntimeProcesses(socket);
  if (survivors.length > 0) {
    throw new Error(`container processes of ${socket} outlived the test's clean-up: ${survivors.map(describeProcess).join('; ')}`);
  }
}

/** Each task's cgroup path from its bundle's OCI config (linux.cgroupsPath, e.g. /k8s.io/<id>). */
function taskCgroupPaths(socket: string, ids: ReadonlySet<string>): Map<string, string> {
  const tasks = join(dirname(socket), TASKS_DIR);
  const paths = new Map<string, string>();
  if (!existsSync(tasks)) return paths;
  for (const namespace of readdirSync(tasks)) {
    for (const id of ids) {
      try {
        const config = JSON.parse(readFileSync(join(tasks, namespace, id, 'config.json'), 'utf8')) as { linux?: { cgroupsPath?: string } };
        const path = config.linux?.cgroupsPath;
        // Only a plain path ending in the task's own id: nothing else may be removed.
        if (path && path.startsWith('/') && path.endsWith(`/${id}`) && !path.includes('..')) paths.set(id, path);
      } catch {
        // no bundle in this namespace
      }
    }
  }
  return paths;
}

/** Removes the (now empty) cgroup of each task in every mounted hierarchy; a busy or missing one stays. */
function removeCgroups(paths: ReadonlyMap<string, string>): void {
  if (paths.size === 0) return;
  let hierarchies: string[];
  try {
    hierarchies = readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h));
  } catch {
    return;
  }
  for (const path of paths.values()) {
    for (const hierarchy of [...hierarchies, '/sys/fs/cgroup']) {
      try {
        rmdirSync(join(hierarchy, path));
      } catch {
        // not in this hierarchy, or already gone
      }
    }
  }
}

/**
 * Removes the pod network namespaces (/run/netns/cni-*) that the root containerd of `dataDir`
 * made and never removed. containerd drops one at StopPodSandbox only, so each sandbox still
 * there when containerd was killed (a pod started after the test's cleanup, or a cleanup that
 * found containerd gone) leaves its bind mount in /run/netns for good. The names are read from
 * that containerd's own metadata database, so another test's namespaces are never touched. Call
 * it once containerd is gone; returns the names removed.
 */
export async function removeLeftoverPodNetns(dataDir: string): Promise<string[]> {
  const db = join(containerdPaths(dataDir, { rootless: false }).root, 'io.containerd.metadata.v1.bolt', 'meta.db');
  if (!existsSync(db)) return [];
  // bbolt stores the sandbox records' JSON as is: the paths can be read without a bbolt reader.
  const paths = readFileSync(db, 'latin1').match(/\/netns\/cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];
  const removed: string[] = [];
  for (const name of new Set(paths.map((p) => p.slice('/netns/'.length)))) {
    if (!existsSync(join('/run/netns', name))) continue;
    if ((await run('ip', ['netns', 'delete', name])).code === 0) removed.push(name);
  }
  return removed;
}
