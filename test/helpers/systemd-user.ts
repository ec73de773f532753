/**
 * A real systemd --user manager for a test user on a host whose PID 1 is not systemd (see
 * shared/notes/systemd-user.md): systemd runs in a private mount namespace with a tmpfs
 * /run/systemd (so it believes the system booted with systemd), in user-owned cgroups in both
 * the v2 (unified) and the name=systemd v1 hierarchies, with a session dbus-daemon at
 * $XDG_RUNTIME_DIR/bus. Callers then sit in a user-owned cgroup beside the manager's.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './index.js';
import type { TestUser } from './users.js';

export interface UserManager {
  readonly runtimeDir: string;
  readonly busAddress: string;
  /** argv prefix running a command as the user, placed in the user-owned "caller" cgroups, with the session env. */
  readonly callerArgv: readonly string[];
  /** The caller cgroup, relative to the v2 root. */
  readonly callerCgroup: string;
}

interface Cleanup {
  after(fn: () => unknown): void;
}

const V2 = '/sys/fs/cgroup/unified';
const NAMED = '/sys/fs/cgroup/systemd';

export async function startUserManager(t: Cleanup, user: TestUser): Promise<UserManager> {
  const runtimeDir = `/run/user/${user.uid}`;
  mkdirSync(runtimeDir, { recursive: true });
  chownSync(runtimeDir, user.uid, user.gid);
  chmodSync(runtimeDir, 0o700);
  const base = `k3stest-${user.name}`;
  for (const root of [V2, NAMED]) {
    mkdirSync(join(root, base, 'caller'), { recursive: true });
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, join(root, base)]);
  }
  t.after(() => {
    // The user's processes are killed by the user cleanup; wait for the cgroups to empty.
    try {
      execFileSync('pkill', ['-KILL', '-u', user.name], { stdio: 'ignore' });
    } catch {
      // none left
    }
    for (const root of [V2, NAMED]) removeCgroupTree(join(root, base));
    rmSync(runtimeDir, { recursive: true, force: true });
  });
  const busAddress = `unix:path=${runtimeDir}/bus`;
  const env = `HOME=${user.home} USER=${user.name} LOGNAME=${user.name} PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR=${runtimeDir} DBUS_SESSION_BUS_ADDRESS=${busAddress}`;
  const script = join(user.home, '.start-user-manager.sh');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'set -e',
      'mount -t tmpfs tmpfs /run/systemd',
      'mkdir -p /run/systemd/system',
      `echo $$ > ${join(V2, base, 'cgroup.procs')}`,
      `echo $$ > ${join(NAMED, base, 'cgroup.procs')}`,
      `exec setpriv --reuid ${user.uid} --regid ${user.gid} --init-groups env -i ${env} sh -c 'dbus-daemon --session --address=${busAddress} --nofork --nopidfile & for i in $(seq 50); do [ -S ${runtimeDir}/bus ] && break; sleep 0.05; done; exec /lib/systemd/systemd --user'`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const manager = spawn('unshare', ['-m', '--propagation', 'private', script], { stdio: 'ignore', detached: false });
  t.after(() => {
    if (manager.exitCode === null) manager.kill('SIGKILL');
  });
  await waitFor('the systemd --user manager to answer', () => {
    try {
      execFileSync('runuser', ['-u', user.name, '--', 'env', `XDG_RUNTIME_DIR=${runtimeDir}`, `DBUS_SESSION_BUS_ADDRESS=${busAddress}`, 'busctl', '--user', 'status', 'org.freedesktop.systemd1'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }, 10_000);
  const callerCgroup = `/${base}/caller`;
  const callerArgv = [
    'sh',
    '-c',
    `echo $$ > ${join(V2, base, 'caller', 'cgroup.procs')} && echo $$ > ${join(NAMED, base, 'caller', 'cgroup.procs')} && exec setpriv --reuid ${user.uid} --regid ${user.gid} --init-groups env ${env} "$@"`,
    'caller',
  ];
  return { runtimeDir, busAddress, callerArgv, callerCgroup };
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      removeDepthFirst(dir);
      return;
    } catch {
      execFileSync('sleep', ['0.1']);
    }
  }
}

function removeDepthFirst(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeDepthFirst(join(dir, entry.name));
  }
  rmdirSync(dir);
}
