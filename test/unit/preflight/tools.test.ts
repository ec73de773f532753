import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tunCheck } from '../../../src/preflight/checks/devices.js';
import { cniCheck, idMapChecks, toolChecks } from '../../../src/preflight/checks/tools.js';
import type { CheckContext, CheckResult } from '../../../src/preflight/index.js';
import { debianHost, probeOf, type FakeMachine } from './fake-machine.js';

const node: CheckContext = { rootless: false, agent: true };
const rootless: CheckContext = { rootless: true, agent: true };

function tools(m: FakeMachine, ctx: CheckContext): Map<string, CheckResult> {
  const out = new Map<string, CheckResult>();
  for (const check of [...toolChecks, ...idMapChecks]) {
    const r = check(probeOf(m), ctx);
    if (r) out.set(r.id, r);
  }
  return out;
}

test('each program is reported with its version and path', () => {
  const r = tools(debianHost(), rootless);
  assert.equal(r.get('tools.containerd')?.detail, '1.6.20~ds1 (/usr/bin/containerd)');
  assert.equal(r.get('tools.runc')?.detail, '1.1.5+ds1 (/usr/sbin/runc)');
  assert.equal(r.get('tools.iptables')?.detail, 'v1.8.9 (nf_tables) (/usr/sbin/iptables)');
  assert.equal(r.get('tools.rootlesskit')?.detail, '1.1.0 (/usr/bin/rootlesskit)');
  assert.equal(r.get('tools.slirp4netns')?.detail, '1.2.0 (/usr/bin/slirp4netns)');
  assert.equal(r.get('tools.newuidmap')?.detail, '/usr/bin/newuidmap, setuid root');
  for (const result of r.values()) assert.equal(result.status, 'pass', result.id);
});

test('rootless programs are not checked for a root node', () => {
  const r = tools(debianHost(), node);
  assert.deepEqual([...r.keys()].sort(), ['tools.containerd', 'tools.iptables', 'tools.runc']);
});

test('a missing containerd fails with the package to install, but only where an agent runs', () => {
  const m = debianHost();
  delete m.executables['/usr/bin/containerd'];
  const r = tools(m, node).get('tools.containerd');
  assert.equal(r?.status, 'fail');
  assert.equal(r?.fix, 'sudo apt-get install containerd (or run ./install.sh)');
  assert.equal(tools(m, { rootless: false, agent: false }).get('tools.containerd')?.status, 'warn');
});

test('a missing rootlesskit fails rootless even without an agent', () => {
  const m = debianHost();
  delete m.executables['/usr/bin/rootlesskit'];
  assert.equal(tools(m, { rootless: true, agent: false }).get('tools.rootlesskit')?.status, 'fail');
});

test('a program whose --version fails is reported as broken', () => {
  const m = debianHost();
  m.executables['/usr/sbin/runc'] = { run: () => ({ code: 127, stdout: '', stderr: 'runc: error while loading shared libraries: libseccomp.so.2\n' }) };
  const r = tools(m, node).get('tools.runc');
  assert.equal(r?.status, 'fail');
  assert.match(r!.detail, /libseccomp/);
});

test('newuidmap without setuid or capability fails with chmod u+s; with cap_setuid it passes', () => {
  const m = debianHost();
  m.executables['/usr/bin/newuidmap'] = { mode: 0o100755, uid: 0 };
  m.executables['/usr/sbin/getcap'] = { run: () => ({ code: 0, stdout: '', stderr: '' }) };
  const bad = tools(m, rootless).get('tools.newuidmap');
  assert.equal(bad?.status, 'fail');
  assert.match(bad!.fix!, /sudo chmod u\+s \/usr\/bin\/newuidmap/);
  m.executables['/usr/sbin/getcap'] = { run: () => ({ code: 0, stdout: '/usr/bin/newuidmap cap_setuid=ep\n', stderr: '' }) };
  assert.equal(tools(m, rootless).get('tools.newuidmap')?.detail, '/usr/bin/newuidmap, file capability cap_setuid');
});

test('newgidmap setuid but not owned by root fails', () => {
  const m = debianHost();
  m.executables['/usr/bin/newgidmap'] = { mode: 0o104755, uid: 1000 };
  assert.equal(tools(m, rootless).get('tools.newgidmap')?.status, 'fail');
});

test('missing newuidmap fails with apt-get install uidmap', () => {
  const m = debianHost();
  delete m.executables['/usr/bin/newuidmap'];
  assert.equal(tools(m, rootless).get('tools.newuidmap')?.fix, 'sudo apt-get install uidmap');
});

test('CNI plugins: a complete directory passes with its version; a missing plugin is named', () => {
  const good = cniCheck(probeOf(debianHost()), node);
  assert.equal(good?.status, 'pass');
  assert.equal(good?.detail, 'bridge, host-local, loopback, portmap in /usr/lib/cni (v1.1.1)');
  const m = debianHost();
  m.dirs['/usr/lib/cni'] = ['bridge', 'host-local', 'loopback'];
  const bad = cniCheck(probeOf(m), node);
  assert.equal(bad?.status, 'fail');
  assert.match(bad!.detail, /\/usr\/lib\/cni lacks portmap/);
  assert.match(bad!.fix!, /containernetworking-plugins/);
});

test('CNI plugins in /opt/cni/bin are found', () => {
  const m = debianHost();
  delete m.dirs['/usr/lib/cni'];
  m.dirs['/opt/cni/bin'] = ['bridge', 'host-local', 'loopback', 'portmap'];
  assert.equal(cniCheck(probeOf(m), node)?.status, 'pass');
});

test('/dev/net/tun: openable passes, permission denied fails with chmod 0666, absent fails', () => {
  assert.equal(tunCheck(probeOf(debianHost()), rootless)?.detail, 'read-write for alice (mode 0666)');
  const m = debianHost();
  m.devices['/dev/net/tun'] = { mode: 0o20600, open: 'EACCES' };
  const denied = tunCheck(probeOf(m), rootless);
  assert.equal(denied?.status, 'fail');
  assert.match(denied!.detail, /alice cannot open \/dev\/net\/tun \(EACCES, mode 0600\)/);
  assert.match(denied!.fix!, /sudo chmod 0666 \/dev\/net\/tun/);
  delete m.devices['/dev/net/tun'];
  assert.match(tunCheck(probeOf(m), rootless)!.fix!, /modprobe tun/);
  assert.equal(tunCheck(probeOf(m), node), undefined);
});
