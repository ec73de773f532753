import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootlessConfig } from '../../../src/config/rootless.js';
import {
  parseSubordinateFile,
  rootlessSettingsCheck,
  sessionBusCheck,
  subordinateIdChecks,
  systemdUserCheck,
} from '../../../src/preflight/checks/rootless.js';
import { rootUserCheck, unprivilegedUserCheck } from '../../../src/preflight/checks/identity.js';
import { debianHost, probeOf } from './fake-machine.js';

const rootless = { rootless: true, agent: true };
const [subuidCheck, subgidCheck] = subordinateIdChecks as [typeof subordinateIdChecks[0], typeof subordinateIdChecks[0]];

test('rootless checks as root fail and say to run as the user', () => {
  const m = debianHost();
  m.uid = 0;
  m.user = 'root';
  const r = unprivilegedUserCheck(probeOf(m), rootless);
  assert.equal(r?.status, 'fail');
  assert.match(r!.fix!, /sudo -iu USER k3s check-config --rootless/);
  assert.equal(subuidCheck(probeOf(m), rootless), undefined);
  assert.equal(unprivilegedUserCheck(probeOf(debianHost()), rootless)?.detail, 'alice (uid 1000)');
});

test('subordinate ranges of at least 65536 ids pass, by name or by uid', () => {
  assert.equal(subuidCheck(probeOf(debianHost()), rootless)?.detail, 'alice: 100000-165535 (65536 ids)');
  const m = debianHost();
  m.files['/etc/subgid'] = '1000:200000:30000\n1000:300000:40000\n';
  const r = subgidCheck(probeOf(m), rootless);
  assert.equal(r?.status, 'pass');
  assert.equal(r?.detail, 'alice: 200000-229999, 300000-339999 (70000 ids)');
});

test('no subuid entry fails with a usermod range that overlaps nobody', () => {
  const m = debianHost();
  m.files['/etc/subuid'] = 'bob:100000:65536\ncarol:165536:65536\n';
  const r = subuidCheck(probeOf(m), rootless);
  assert.equal(r?.status, 'fail');
  assert.match(r!.detail, /no entry for alice in \/etc\/subuid/);
  assert.equal(r?.fix, 'sudo usermod --add-subuids 231072-296607 alice');
});

test('a subgid range that is too small fails and says how many ids there are', () => {
  const m = debianHost();
  m.files['/etc/subgid'] = 'alice:100000:1000\n';
  const r = subgidCheck(probeOf(m), rootless);
  assert.equal(r?.status, 'fail');
  assert.match(r!.detail, /alice has only 1000 ids \(100000-100999\); rootless mode needs at least 65536/);
});

test('subordinate file parsing skips comments and malformed lines', () => {
  assert.deepEqual(parseSubordinateFile('# comment\nalice:1:2\nbroken\nbob:x:3\n'), [{ owner: 'alice', range: { start: 1, count: 2 } }]);
});

test('systemd --user manager: a version answer passes; a bus error warns with the login fix', () => {
  const m = debianHost();
  const down = systemdUserCheck(probeOf(m), rootless);
  assert.equal(down?.status, 'warn');
  assert.match(down!.detail, /not reachable: Failed to connect to bus: No medium found/);
  assert.match(down!.fix!, /loginctl enable-linger/);
  m.executables['/usr/bin/systemctl'] = { run: (args) => ({ code: 0, stdout: args.includes('--user') ? '252.22-1~deb12u1\n' : '', stderr: '' }) };
  assert.equal(systemdUserCheck(probeOf(m), rootless)?.detail, 'reachable (systemd 252.22-1~deb12u1)');
});

test('D-Bus session bus: $XDG_RUNTIME_DIR/bus, DBUS_SESSION_BUS_ADDRESS, or a warning', () => {
  const m = debianHost();
  assert.equal(sessionBusCheck(probeOf(m), rootless)?.status, 'warn');
  m.env.XDG_RUNTIME_DIR = '/run/user/1000';
  assert.equal(sessionBusCheck(probeOf(m), rootless)?.status, 'warn');
  m.sockets.push('/run/user/1000/bus');
  assert.equal(sessionBusCheck(probeOf(m), rootless)?.detail, 'unix:path=/run/user/1000/bus ($XDG_RUNTIME_DIR/bus)');
  m.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/tmp/nothing-here';
  assert.equal(sessionBusCheck(probeOf(m), rootless)?.status, 'warn');
  m.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/run/user/1000/bus,guid=abc';
  assert.equal(sessionBusCheck(probeOf(m), rootless)?.status, 'pass');
});

test('D-Bus session bus: a socket nobody answers on warns; an answer passes', () => {
  const m = debianHost();
  m.env.XDG_RUNTIME_DIR = '/run/user/1000';
  m.sockets.push('/run/user/1000/bus');
  const asked: string[][] = [];
  let answers = false;
  m.executables['/usr/bin/dbus-send'] = {
    run: (args) => {
      asked.push([...args]);
      return answers ? { code: 0, stdout: 'method return\n   string "abc"\n', stderr: '' } : { code: 1, stdout: '', stderr: 'Failed to open connection to "unix:path=/run/user/1000/bus" message bus: Connection refused\n' };
    },
  };
  const dead = sessionBusCheck(probeOf(m), rootless);
  assert.equal(dead?.status, 'warn');
  assert.match(dead!.detail, /does not answer: Failed to open connection .*Connection refused/);
  assert.equal(asked[0]?.[0], '--bus=unix:path=/run/user/1000/bus');
  answers = true;
  assert.equal(sessionBusCheck(probeOf(m), rootless)?.detail, 'unix:path=/run/user/1000/bus ($XDG_RUNTIME_DIR/bus), answering');
  assert.equal(sessionBusCheck(probeOf(m), { ...rootless, quick: true })?.status, 'pass');
  assert.equal(asked.length, 2, 'quick mode runs nothing');
});

test('effective K3S_ROOTLESS_* values are shown; a bad one fails naming the variable', () => {
  const settings = rootlessConfig({ K3S_ROOTLESS_MTU: '65520', K3S_ROOTLESS_PORT_DRIVER: 'slirp4netns' }, '/home/alice/.rancher/k3s');
  const good = rootlessSettingsCheck(probeOf(debianHost()), { ...rootless, rootlessSettings: settings });
  assert.equal(good?.status, 'pass');
  assert.match(good!.detail, /MTU=65520 CIDR=10\.41\.0\.0\/16 .*PORT_DRIVER=slirp4netns .*state dir \/home\/alice\/\.rancher\/k3s\/rootless/);
  let error: Error | undefined;
  try {
    rootlessConfig({ K3S_ROOTLESS_CIDR: '10.41.0.1/16' }, '/d');
  } catch (err) {
    error = err as Error;
  }
  const bad = rootlessSettingsCheck(probeOf(debianHost()), { ...rootless, rootlessSettings: error! });
  assert.equal(bad?.status, 'fail');
  assert.match(bad!.detail, /K3S_ROOTLESS_CIDR/);
});

test('without --rootless, a node agent needs root; a control plane alone does not', () => {
  const m = debianHost();
  const r = rootUserCheck(probeOf(m), { rootless: false, agent: true });
  assert.equal(r?.status, 'fail');
  assert.match(r!.fix!, /k3s server --rootless/);
  assert.equal(rootUserCheck(probeOf(m), { rootless: false, agent: false })?.status, 'warn');
  m.uid = 0;
  assert.equal(rootUserCheck(probeOf(m), { rootless: false, agent: true })?.status, 'pass');
  assert.equal(rootUserCheck(probeOf(m), rootless), undefined);
});
