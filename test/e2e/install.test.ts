/**
 * install.sh on this machine, the way a user runs it: install and start, install again (nothing
 * changes), check-config with the installed k3s, then k3s-killall.sh and k3s-uninstall.sh.
 * Everything the install writes goes to this test's temp dirs (INSTALL_K3S_* settings), so the
 * machine's own /usr/local and /etc/systemd are not touched; Debian packages are only checked,
 * since the machine already has them.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, kubectl, REPO_ROOT, run, tempDir, waitFor } from '../helpers/index.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('install.sh installs and starts a server, a second run changes nothing, uninstall removes it', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t, 'k3s-install-');
  const port = await freePort();
  const kubeconfig = join(dir, 'k3s.yaml');
  const env = {
    ...process.env,
    INSTALL_K3S_BIN_DIR: join(dir, 'bin'),
    INSTALL_K3S_LIB_DIR: join(dir, 'lib/k3s'),
    INSTALL_K3S_SYSTEMD_DIR: join(dir, 'systemd/system'),
    INSTALL_K3S_USER_UNIT_DIR: join(dir, 'systemd/user'),
    INSTALL_K3S_LOG_FILE: join(dir, 'k3s.log'),
    INSTALL_K3S_EXEC: `server --disable-agent -d ${join(dir, 'data')} --bind-address 127.0.0.1 --https-listen-port ${port} --write-kubeconfig ${kubeconfig}`,
  };
  const pidFile = join(dir, 'lib/k3s.install-state/server.pid');
  t.after(() => {
    // By PID, whatever happened above.
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
  });
  const install = () => run('bash', [join(REPO_ROOT, 'install.sh')], { cwd: REPO_ROOT, env, timeoutMs: 300_000 });

  const first = await install();
  const log = () => (existsSync(env.INSTALL_K3S_LOG_FILE) ? readFileSync(env.INSTALL_K3S_LOG_FILE, 'utf8') : '');
  assert.equal(first.code, 0, `first install failed:\n${first.stdout}\n${first.stderr}\n${log()}`);
  assert.match(first.stdout, /\[changed\] .*\/bin\/k3s$/m);
  assert.match(first.stdout, /\[changed\] .*k3s-rootless\.service/);
  assert.match(first.stdout, /ready: KUBECONFIG=/);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(alive(pid), 'the started server is running');

  const cacheDir = tempDir(t, 'k3s-install-kubectl-');
  const namespaces = await kubectl({ kubeconfig, cacheDir }, ['get', 'namespaces', '-o', 'name']);
  assert.equal(namespaces.code, 0, namespaces.stderr);
  assert.match(namespaces.stdout, /namespace\/default/);

  const second = await install();
  assert.equal(second.code, 0, `second install failed:\n${second.stdout}\n${second.stderr}`);
  assert.doesNotMatch(second.stdout, /\[changed\]/, 'a second run changes nothing');
  assert.match(second.stdout, /nothing to change/);
  assert.equal(Number(readFileSync(pidFile, 'utf8')), pid, 'the running server was left alone');

  const k3sBin = join(env.INSTALL_K3S_BIN_DIR, 'k3s');
  const check = await run(k3sBin, ['check-config', '-o', 'json'], { env });
  assert.ok(check.code === 0 || check.code === 1, `check-config ran (exit ${check.code}): ${check.stderr}`);
  const report: unknown = JSON.parse(check.stdout);
  assert.ok(report !== null && typeof report === 'object', 'check-config -o json prints a JSON report');

  const killall = await run(join(env.INSTALL_K3S_BIN_DIR, 'k3s-killall.sh'), [], { env });
  assert.equal(killall.code, 0, killall.stderr);
  await waitFor('the server to stop', () => !alive(pid), 15_000);

  const uninstall = await run(join(env.INSTALL_K3S_BIN_DIR, 'k3s-uninstall.sh'), [], { env });
  assert.equal(uninstall.code, 0, `${uninstall.stdout}\n${uninstall.stderr}`);
  for (const gone of [k3sBin, env.INSTALL_K3S_LIB_DIR, join(env.INSTALL_K3S_SYSTEMD_DIR, 'k3s.service'), join(env.INSTALL_K3S_USER_UNIT_DIR, 'k3s-rootless.service')]) {
    assert.ok(!existsSync(gone), `${gone} removed`);
  }
  const containerd = await run('dpkg-query', ['-W', '-f=${Status}', 'containerd']);
  assert.match(containerd.stdout, /install ok installed/, 'packages that were there before the install stay');
});
