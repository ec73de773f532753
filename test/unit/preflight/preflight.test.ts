import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkConfig } from '../../../src/cli/check-config.js';
import { buildConfig, type Config, type RawSettings } from '../../../src/config/index.js';
import { assertPreflight, formatText, runPreflight, type JsonReport } from '../../../src/preflight/index.js';
import { tempDir } from '../../helpers/index.js';
import { debianHost, probeOf } from './fake-machine.js';

function config(home: string, flags: Record<string, boolean> = {}): Config {
  const cli: RawSettings = new Map(Object.entries(flags).map(([k, v]) => [k, { value: v, append: false, origin: `flag --${k}` }]));
  return buildConfig({ role: 'server', cli, env: {}, uid: 1000, home, hostname: 'node1' });
}

/** The same machine, seen by root (k3s server without --rootless runs as root). */
function asRoot() {
  const m = debianHost();
  m.uid = 0;
  m.user = 'root';
  return m;
}

test('server preflight on a ready machine finds no problems', (t) => {
  assert.deepEqual(runPreflight(config(tempDir(t)), 'host', probeOf(asRoot())), []);
  assert.deepEqual(runPreflight(config(tempDir(t), { rootless: true }), 'rootless', probeOf(debianHost())), []);
});

test('server preflight reports only failures, and skips agent programs under --disable-agent', (t) => {
  const m = asRoot();
  delete m.executables['/usr/bin/containerd'];
  m.files['/proc/sys/net/ipv4/ip_unprivileged_port_start'] = '1024';
  const withAgent = runPreflight(config(tempDir(t)), 'host', probeOf(m));
  assert.deepEqual(withAgent.map((p) => p.id), ['tools.containerd']);
  assert.deepEqual(runPreflight(config(tempDir(t), { 'disable-agent': true }), 'host', probeOf(m)), []);
});

test('rootless preflight fails on what the launcher cannot start without', (t) => {
  const m = debianHost();
  m.devices['/dev/net/tun'] = { mode: 0o20600, open: 'EACCES' };
  m.files['/etc/subuid'] = '';
  const problems = runPreflight(config(tempDir(t), { rootless: true, 'disable-agent': true }), 'rootless', probeOf(m));
  assert.deepEqual(problems.map((p) => p.id), ['devices.tun', 'rootless.subuid']);
  assert.throws(
    () => assertPreflight(config(tempDir(t), { rootless: true, 'disable-agent': true }), 'rootless', probeOf(m)),
    (err: Error) =>
      err.name === 'ConfigError' &&
      /not ready for rootless k3s \(2 problems\)/.test(err.message) &&
      /fix: sudo chmod 0666 \/dev\/net\/tun/.test(err.message) &&
      /fix: sudo usermod --add-subuids/.test(err.message) &&
      /k3s check-config --rootless/.test(err.message),
  );
});

test('text report: aligned names, the fix under each problem, and a summary line', () => {
  const text = formatText(
    [
      { id: 'a', group: 'kernel', name: 'short', status: 'pass', detail: 'fine' },
      { id: 'b', group: 'kernel', name: 'a longer name', status: 'warn', detail: 'hmm', fix: 'do x' },
      { id: 'c', group: 'tools', name: 'tool', status: 'fail', detail: 'gone', fix: 'install it' },
    ],
    'title',
  );
  assert.equal(
    text,
    [
      'title',
      '',
      'Kernel',
      '  pass  short          fine',
      '  WARN  a longer name  hmm',
      '                       fix: do x',
      '',
      'Programs',
      '  FAIL  tool           gone',
      '                       fix: install it',
      '',
      '3 checks: 1 passed, 1 warning, 1 failed: NOT READY',
      '',
    ].join('\n'),
  );
});

test('check-config --rootless -o json on a ready machine: ok, every check with name, status, detail', (t) => {
  const m = debianHost();
  m.home = tempDir(t);
  m.env.HOME = m.home;
  const { text, failed } = checkConfig(probeOf(m), true, 'json');
  const report = JSON.parse(text) as JsonReport;
  assert.equal(failed, false);
  assert.equal(report.ok, true);
  assert.equal(report.mode, 'rootless');
  assert.equal(report.summary.fail, 0);
  const ids = report.checks.map((c) => c.id);
  for (const id of ['config', 'kernel.overlay', 'cgroups', 'devices.tun', 'tools.rootlesskit', 'rootless.subuid', 'rootless.settings']) assert.ok(ids.includes(id), id);
  for (const c of report.checks) assert.ok(c.name && c.status && c.detail, JSON.stringify(c));
  assert.equal(report.summary.pass + report.summary.warn, report.checks.length);
});

test('check-config fails on a bad config file and on a bad K3S_ROOTLESS_* value, naming them', async (t) => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const m = debianHost();
  m.home = tempDir(t);
  mkdirSync(`${m.home}/.config/k3s`, { recursive: true });
  writeFileSync(`${m.home}/.config/k3s/config.yaml`, 'no-such-flag: 1\n');
  m.env.K3S_ROOTLESS_MTU = 'huge';
  const { text, failed } = checkConfig(probeOf(m), true, 'text');
  assert.equal(failed, true);
  assert.match(text, /FAIL {2}k3s configuration +unknown key "no-such-flag" in config file .*config\.yaml/);
  assert.match(text, /FAIL {2}K3S_ROOTLESS_\* settings +K3S_ROOTLESS_MTU="huge"/);
  assert.match(text, /failed: NOT READY\n$/);
});

test('server preflight runs no commands: presence and permissions only, so starting stays fast', (t) => {
  const m = debianHost();
  const ran: string[] = [];
  const probe = probeOf(m);
  const counting = { ...probe, run: (command: string, args: readonly string[]) => (ran.push(command), probe.run(command, args)) };
  assert.deepEqual(runPreflight(config(tempDir(t), { rootless: true }), 'rootless', counting), []);
  assert.deepEqual(ran, []);
  delete m.executables['/usr/sbin/runc'];
  assert.deepEqual(runPreflight(config(tempDir(t)), 'host', counting).map((p) => p.id), ['host.root', 'tools.runc']);
});

test('server preflight as a user without --rootless fails only when the agent runs', (t) => {
  const problems = runPreflight(config(tempDir(t)), 'host', probeOf(debianHost()));
  assert.deepEqual(problems.map((p) => p.id), ['host.root']);
  assert.deepEqual(runPreflight(config(tempDir(t), { 'disable-agent': true }), 'host', probeOf(debianHost())), []);
});
