/**
 * Where this install's containerd is, for `k3s ctr` and `k3s crictl`: the socket of the default
 * data dir (root: /var/lib/rancher/k3s with /run/k3s/containerd/containerd.sock; a user: the
 * rootless ~/.rancher/k3s), or of the data dir given with a leading `--data-dir DIR` / `-d DIR`.
 * Rootless, tools that must act inside the namespaces (ctr mounts, for `ctr run`) are run
 * through nsenter into rootlesskit's child, whose pid is in <data-dir>/rootless/child_pid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// config.js, not the folder's index: the index loads the containerd supervisor and the CRI
// client, which every k3s command (the rootless launcher too) would then pay for at start.
import { containerdPaths } from '../agent/containerd/config.js';
import { userDefaults } from '../config/index.js';

export const DEFAULT_ROOT_DATA_DIR = '/var/lib/rancher/k3s';

export interface RuntimeTarget {
  readonly dataDir: string;
  readonly socket: string;
  /** Rootless: the pid whose namespaces hold containerd (undefined when not running). */
  readonly rootlessChildPid: number | undefined;
  readonly rootless: boolean;
  /** The arguments left after a leading --data-dir. */
  readonly args: string[];
}

export function runtimeTarget(argv: readonly string[], uid: number, home: string): RuntimeTarget {
  let args = [...argv];
  let dataDir: string | undefined;
  const first = args[0];
  if ((first === '--data-dir' || first === '-d') && args[1]) {
    dataDir = args[1];
    args = args.slice(2);
  } else if (first?.startsWith('--data-dir=')) {
    dataDir = first.slice('--data-dir='.length);
    args = args.slice(1);
  }
  const rootless = uid !== 0;
  dataDir ??= rootless ? String(userDefaults(home)['data-dir']) : DEFAULT_ROOT_DATA_DIR;
  const socket = containerdPaths(dataDir, { rootless, defaultDataDir: dataDir === DEFAULT_ROOT_DATA_DIR }).socket;
  let rootlessChildPid: number | undefined;
  const pidFile = join(dataDir, 'rootless', 'child_pid');
  if (rootless && existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`)) rootlessChildPid = pid;
  }
  return { dataDir, socket, rootlessChildPid, rootless, args };
}

/** What to tell a user whose containerd socket is missing. */
export function noRuntimeMessage(tool: string, target: RuntimeTarget): string {
  return `k3s ${tool}: containerd is not running for data dir ${target.dataDir} (no socket at ${target.socket}); start k3s ${target.rootless ? 'server --rootless' : 'server or k3s agent'} first, or give the data dir: k3s ${tool} --data-dir DIR ...`;
}

/** The nsenter prefix that runs a command in the rootless namespaces, keeping the caller's cwd. */
export function nsenterPrefix(pid: number): string[] {
  return ['nsenter', '-t', String(pid), '-U', '--preserve-credentials', '-m', '-n', '-p', '-u', '-i', '-C'];
}
