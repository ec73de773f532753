/**
 * Throwaway Unix users for tests that need a non-root user (rootless mode). Created with
 * `useradd -m` (Debian then adds /etc/subuid and /etc/subgid ranges), removed with every process
 * they still run when the test ends.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_ROOT, K3S_BIN } from './index.js';

export interface TestUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** argv prefix that runs a command as this user with a login-like environment. */
  readonly runAs: readonly string[];
}

interface Cleanup {
  after(fn: () => unknown): void;
}

export function createTestUser(t: Cleanup, prefix = 'k3st'): TestUser {
  if (process.getuid?.() !== 0) throw new Error('creating a test user needs root');
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['-m', '-s', '/bin/sh', name], { stdio: 'pipe' });
  t.after(() => removeTestUser(name));
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  const home = `/home/${name}`;
  return { name, uid, gid, home, runAs: ['runuser', '-u', name, '--', 'env', `HOME=${home}`, `USER=${name}`, `LOGNAME=${name}`] };
}

function removeTestUser(name: string): void {
  try {
    execFileSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore' });
  } catch {
    // no processes left: fine
  }
  for (let i = 0; i < 20; i++) {
    try {
      execFileSync('userdel', ['-r', '-f', name], { stdio: 'pipe' });
      return;
    } catch {
      execFileSync('sleep', ['0.1']);
    }
  }
}

/** Why rootless namespaces cannot work on this host, or undefined when they can. */
export function rootlessPrerequisiteProblem(user: TestUser): string | undefined {
  const tunMode = statSync('/dev/net/tun').mode & 0o777;
  if ((tunMode & 0o006) !== 0o006) return `/dev/net/tun is mode ${tunMode.toString(8)}: run ./install.sh (it makes it 0666)`;
  if (!readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${user.name}:`))) return `no /etc/subuid range for ${user.name}`;
  return undefined;
}

/**
 * The k3s command line a test user can run: the build's own k3s wrapper (BUILD/bin/k3s, the
 * script install.sh installs, so rootless mode hands over to rootlesskit as installed) when the
 * user can read the build (the checkout's ancestors are traversable), else the installed k3s
 * (install.sh puts the same build world-readable under /usr/local/lib/k3s) — a checkout under
 * /root is not reachable for other users.
 */
export function k3sCommandFor(user: TestUser, k3sBin: string): string[] {
  // The build's wrapper sits at BUILD/bin/k3s whatever the CLI entry is (tsc output or bundle).
  const wrapper = join(BUILD_ROOT, 'bin/k3s');
  try {
    execFileSync('runuser', ['-u', user.name, '--', 'test', '-r', k3sBin, '-a', '-x', wrapper], { stdio: 'ignore' });
    return [wrapper];
  } catch {
    return ['/usr/local/bin/k3s'];
  }
}

/** runuser arguments for `k3s <args>` as the user (see k3sCommandFor), with HOME and `env` (NAME=value) set. */
export function k3sAsUser(user: TestUser, args: readonly string[], env: readonly string[] = []): string[] {
  return ['-u', user.name, '--', 'env', `HOME=${user.home}`, ...env, ...k3sCommandFor(user, K3S_BIN), ...args];
}

/** runuser arguments for the real kubectl as the user, with ~/.kube/k3s.yaml and a discovery cache in ~/.kube/cache. */
export function kubectlAsUser(user: TestUser, args: readonly string[]): string[] {
  return ['-u', user.name, '--', 'env', `HOME=${user.home}`, `KUBECONFIG=${user.home}/.kube/k3s.yaml`, `KUBECACHEDIR=${user.home}/.kube/cache`, 'kubectl', ...args];
}

/** "pid comm" of every process the user runs, except those matching `except` (e.g. a systemd --user manager). */
export function userProcesses(user: TestUser, except?: RegExp): string[] {
  try {
    const lines = execFileSync('ps', ['-u', user.name, '-o', 'pid=,comm=']).toString().trim().split('\n');
    return lines.map((l) => l.trim()).filter((l) => l && !(except && except.test(l)));
  } catch {
    return [];
  }
}
