/**
 * The real `k3s check-config` on this machine: as root, and with --rootless as a throwaway user.
 * Results are cross-checked against the machine itself, not against fixed expectations, so the
 * test holds on any host; what is certain (root fails --rootless, a fresh user has subuid ranges)
 * is asserted outright.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import type { JsonReport } from '../../../src/preflight/index.js';
import { k3s, K3S_BIN, run, spawnTracked, tempDir, waitFor } from '../../helpers/index.js';
import { startUserManager } from '../../helpers/systemd-user.js';
import { createTestUser, k3sCommandFor } from '../../helpers/users.js';

const isRoot = process.getuid?.() === 0;

function parse(stdout: string): JsonReport {
  return JSON.parse(stdout) as JsonReport;
}

test('check-config -o json on this machine: exit code follows the failures, versions match the programs', async () => {
  const result = await k3s(['check-config', '-o', 'json']);
  const report = parse(result.stdout);
  assert.equal(result.code, report.summary.fail > 0 ? 1 : 0, result.stdout);
  assert.equal(report.ok, report.summary.fail === 0);
  assert.equal(report.mode, 'host');
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  for (const id of ['config', 'kernel.overlay', 'kernel.br_netfilter', 'kernel.userns', 'cgroups', 'tools.containerd', 'tools.runc', 'tools.iptables', 'tools.cni']) {
    assert.ok(byId.has(id), `missing check ${id}`);
  }
  assert.equal(byId.has('devices.tun'), false, 'tun is a rootless-only check');
  const containerd = await run('containerd', ['--version']);
  if (containerd.code === 0) {
    const version = /(\d+\.\d+\.\d+\S*)/.exec(containerd.stdout)![1]!;
    assert.equal(byId.get('tools.containerd')?.status, 'pass');
    assert.ok(byId.get('tools.containerd')!.detail.startsWith(version), byId.get('tools.containerd')!.detail);
  } else {
    assert.equal(byId.get('tools.containerd')?.status, 'fail');
  }
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  const hybrid = / - cgroup2 /.test(mountinfo) && / - cgroup /.test(mountinfo);
  assert.equal(/^hybrid/.test(byId.get('cgroups')!.detail), hybrid, byId.get('cgroups')!.detail);
});

test('check-config text output ends with the same summary as the JSON', async () => {
  const [text, json] = await Promise.all([k3s(['check-config']), k3s(['check-config', '-o', 'json'])]);
  const s = parse(json.stdout).summary;
  const total = s.pass + s.warn + s.fail;
  assert.match(text.stdout, new RegExp(`\\n${total} checks: ${s.pass} passed, ${s.warn} warnings?, ${s.fail} failed: `));
  assert.equal(text.code, json.code);
});

test('check-config rejects an unknown output format', async () => {
  const result = await k3s(['check-config', '-o', 'yaml']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /--output must be "text" or "json"/);
});

test('check-config --rootless as root fails and says to run it as the user', { skip: !isRoot && 'needs root' }, async () => {
  const result = await k3s(['check-config', '--rootless', '-o', 'json']);
  assert.equal(result.code, 1);
  const user = parse(result.stdout).checks.find((c) => c.id === 'rootless.user');
  assert.equal(user?.status, 'fail');
  assert.match(user!.fix!, /as that user/);
});

test('check-config --rootless as a fresh user: subordinate ranges, tun access and settings match the machine', { skip: !isRoot && 'needs root to create a user' }, async (t) => {
  const user = createTestUser(t);
  const command = k3sCommandFor(user, K3S_BIN);
  const asUser = (args: string[], env: string[] = []) => run('runuser', ['-u', user.name, '--', 'env', `HOME=${user.home}`, `USER=${user.name}`, ...env, ...command, ...args]);
  const result = await asUser(['check-config', '--rootless', '-o', 'json']);
  const report = parse(result.stdout);
  assert.equal(result.code, report.summary.fail > 0 ? 1 : 0, result.stdout);
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  assert.equal(byId.get('rootless.user')?.detail, `${user.name} (uid ${user.uid})`);
  const subuid = readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${user.name}:`));
  assert.equal(byId.get('rootless.subuid')?.status, subuid && Number(subuid.split(':')[2]) >= 65536 ? 'pass' : 'fail');
  let tunOpens: boolean;
  try {
    execFileSync('runuser', ['-u', user.name, '--', 'sh', '-c', 'exec 3<>/dev/net/tun'], { stdio: 'ignore' });
    tunOpens = true;
  } catch {
    tunOpens = false;
  }
  assert.equal(byId.get('devices.tun')?.status, tunOpens ? 'pass' : 'fail');
  assert.match(byId.get('rootless.settings')!.detail, new RegExp(`MTU=1500 CIDR=10\\.41\\.0\\.0/16 .*state dir ${user.home}/\\.rancher/k3s/rootless`));
  for (const id of ['tools.rootlesskit', 'tools.slirp4netns', 'tools.newuidmap', 'tools.newgidmap', 'rootless.systemd-user', 'rootless.dbus']) assert.ok(byId.has(id), id);

  // The user's own config file and K3S_ROOTLESS_* values are checked too, and named when wrong.
  const dir = `${user.home}/.config/k3s`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/config.yaml`, 'tls-sans: [a]\n');
  execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, `${user.home}/.config`]);
  const bad = await asUser(['check-config', '--rootless'], ['K3S_ROOTLESS_PORT_DRIVER=vpnkit']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, new RegExp(`FAIL {2}k3s configuration +unknown key "tls-sans" in config file ${dir}/config\\.yaml`));
  assert.match(bad.stdout, /FAIL {2}K3S_ROOTLESS_\* settings +K3S_ROOTLESS_PORT_DRIVER="vpnkit"/);
});

test('check-config --rootless asks a real session bus whether it answers', { skip: !isRoot && 'needs root to create a user' }, async (t) => {
  const user = createTestUser(t);
  const runtimeDir = tempDir(t, 'k3s-xdg-');
  chownSync(runtimeDir, user.uid, user.gid);
  const socket = `${runtimeDir}/bus`;
  // setpriv execs, so the tracked PID is dbus-daemon itself.
  const daemon = spawnTracked(t, 'setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', 'dbus-daemon', '--session', `--address=unix:path=${socket}`, '--nofork', '--nopidfile'], {
    env: { ...process.env, HOME: user.home, USER: user.name },
  });
  await waitFor('the session bus socket', () => existsSync(socket), 10_000);
  const command = k3sCommandFor(user, K3S_BIN);
  const check = async () => {
    const result = await run('runuser', ['-u', user.name, '--', 'env', `HOME=${user.home}`, `USER=${user.name}`, `XDG_RUNTIME_DIR=${runtimeDir}`, ...command, 'check-config', '--rootless', '-o', 'json']);
    return parse(result.stdout).checks.find((c) => c.id === 'rootless.dbus')!;
  };
  const up = await check();
  assert.equal(up.status, 'pass', daemon.output());
  assert.equal(up.detail, `unix:path=${socket} ($XDG_RUNTIME_DIR/bus), answering`);

  // SIGKILL leaves the socket file behind: exactly the stale case the check must see through.
  daemon.child.kill('SIGKILL');
  await daemon.exited;
  assert.ok(existsSync(socket));
  const down = await check();
  assert.equal(down.status, 'warn');
  assert.match(down.detail, /does not answer/);
});

test('check-config --rootless beside a real systemd --user manager: manager, bus and delegated cgroup are seen', { skip: !isRoot && 'needs root to create a user' }, async (t) => {
  const user = createTestUser(t);
  const manager = await startUserManager(t, user);
  const command = k3sCommandFor(user, K3S_BIN);
  const [argv0, ...rest] = manager.callerArgv;
  const result = await run(argv0!, [...rest, ...command, 'check-config', '--rootless', '-o', 'json']);
  const byId = new Map(parse(result.stdout).checks.map((c) => [c.id, c]));
  assert.match(byId.get('rootless.systemd-user')!.detail, /^reachable \(systemd \d+/, result.stdout + result.stderr);
  assert.equal(byId.get('rootless.systemd-user')!.status, 'pass');
  assert.equal(byId.get('rootless.dbus')?.detail, `${manager.busAddress} (DBUS_SESSION_BUS_ADDRESS), answering`);
  // The caller cgroup is the user's own (delegated); on a hybrid host it offers no controllers.
  const cgroups = byId.get('cgroups')!;
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  if (/ - cgroup /.test(mountinfo)) {
    assert.equal(cgroups.status, 'warn');
    assert.match(cgroups.detail, new RegExp(`delegated subtree ${manager.callerCgroup} offers`));
  } else {
    assert.match(cgroups.detail, /delegated subtree/);
  }
});
