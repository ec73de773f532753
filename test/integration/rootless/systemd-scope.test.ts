/**
 * D-Bus delegation against a REAL systemd --user manager (systemd 252 from Debian, started by the
 * test as the user; PID 1 here is not systemd). The hybrid cgroup layout of these hosts means the
 * delegated scope offers no controllers: that degraded case is what this host can show.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILD_ROOT, run } from '../../helpers/index.js';
import { startUserManager } from '../../helpers/systemd-user.js';
import { createTestUser } from '../../helpers/users.js';

test('startDelegatedScope moves the caller into a Delegate=yes scope of the user manager', async (t) => {
  const user = createTestUser(t);
  const manager = await startUserManager(t, user);
  const script = [
    `const { startDelegatedScope } = await import('${BUILD_ROOT}/src/rootless/systemd-scope.js');`,
    `const { readCgroupState } = await import('${BUILD_ROOT}/src/rootless/cgroups.js');`,
    'const before = readCgroupState();',
    "const result = await startDelegatedScope({ unitName: 'k3s-test.scope', pids: [process.pid], env: process.env });",
    // Ask while this process still holds the scope: an empty scope is garbage-collected at once.
    "const { execFileSync } = await import('node:child_process');",
    "const shown = execFileSync('systemctl', ['--user', 'show', '-p', 'Delegate', '-p', 'ActiveState', 'k3s-test.scope']).toString();",
    'console.log(JSON.stringify({ before, result, after: readCgroupState(), shown }));',
  ].join('\n');
  const out = await run(manager.callerArgv[0]!, [...manager.callerArgv.slice(1), process.execPath, '--input-type=module', '-e', script], { timeoutMs: 20_000 });
  assert.equal(out.code, 0, out.stderr);
  const report = JSON.parse(out.stdout) as { before: { cgroup: string }; result: { ok: boolean }; after: { cgroup: string; delegated: boolean; controllers: string[] }; shown: string };
  assert.equal(report.before.cgroup, manager.callerCgroup);
  assert.deepEqual(report.result, { ok: true, unit: 'k3s-test.scope' });
  assert.match(report.after.cgroup, /\/app\.slice\/k3s-test\.scope$/);
  assert.equal(report.after.delegated, true);
  assert.match(report.shown, /Delegate=yes/);
  assert.match(report.shown, /ActiveState=active/);
  // Hybrid host: the delegated subtree exists but offers no controllers (shared/notes/systemd-user.md).
  assert.deepEqual(report.after.controllers, []);
});

test('startDelegatedScope explains a missing session bus instead of failing silently', async () => {
  const { startDelegatedScope } = await import('../../../src/rootless/systemd-scope.js');
  const result = await startDelegatedScope({ unitName: 'x.scope', pids: [process.pid], env: {} });
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.reason : '', /no D-Bus session bus/);
  const unreachable = await startDelegatedScope({ unitName: 'x.scope', pids: [process.pid], env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }, timeoutMs: 2000 });
  assert.equal(unreachable.ok, false);
  assert.match(!unreachable.ok ? unreachable.reason : '', /cannot ask the systemd --user manager/);
});
