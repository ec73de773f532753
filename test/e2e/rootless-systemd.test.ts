/**
 * The two systemd ways to run rootless k3s, against a real systemd --user manager (started by the
 * test on this host whose PID 1 is not systemd: see test/helpers/systemd-user.ts):
 *   systemctl --user enable --now k3s-rootless      (the shipped unit, units/k3s-rootless.service)
 *   systemd-run --user -p Delegate=yes --tty k3s server --rootless
 * In both the launcher finds itself in a delegated cgroup v2 subtree (no D-Bus request needed),
 * the API port is forwarded to the host, and stopping the unit leaves no process behind; the
 * unit's restart starts from the launch cache.
 * The unit file is also checked with systemd-analyze --user verify.
 */
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { canConnect, freePort, K3S_BIN, REPO_ROOT, run, spawnTracked, waitFor } from '../helpers/index.js';
import { startUserManager, type UserManager } from '../helpers/systemd-user.js';
import { createTestUser, k3sCommandFor, userProcesses, type TestUser } from '../helpers/users.js';

/** The user's processes other than the manager and its bus. */
function clusterProcesses(user: TestUser): string[] {
  return userProcesses(user, /\b(systemd|\(sd-pam\)|dbus-daemon)$/);
}

function asCaller(manager: UserManager, argv: readonly string[], timeoutMs = 60_000) {
  return run(manager.callerArgv[0] as string, [...manager.callerArgv.slice(1), ...argv], { timeoutMs });
}

/** Writes a user-owned file (and its parents) in the user's home. */
function writeUserFile(user: TestUser, relative: string, content: string): string {
  const path = join(user.home, relative);
  let dir = user.home;
  for (const part of relative.split('/').slice(0, -1)) {
    dir = join(dir, part);
    mkdirSync(dir, { recursive: true });
    chownSync(dir, user.uid, user.gid);
  }
  writeFileSync(path, content);
  chownSync(path, user.uid, user.gid);
  return path;
}

describe('rootless k3s under systemd --user', () => {
  test('systemctl --user enable --now k3s-rootless runs the server in its delegated unit; stop leaves nothing', { timeout: 120_000 }, async (t) => {
    const user = createTestUser(t);
    const manager = await startUserManager(t, user);
    const port = await freePort();
    const log = join(user.home, 'k3s-rootless.log');
    const k3s = k3sCommandFor(user, K3S_BIN).join(' ');
    // The shipped unit as is; the user's drop-in points it at this build and a free port, as a
    // user would customise it with `systemctl --user edit k3s-rootless`.
    writeUserFile(user, '.config/systemd/user/k3s-rootless.service', readFileSync(join(REPO_ROOT, 'units/k3s-rootless.service'), 'utf8'));
    writeUserFile(
      user,
      '.config/systemd/user/k3s-rootless.service.d/override.conf',
      `[Service]\nExecStart=\nExecStart=${k3s} server --rootless --disable-agent --https-listen-port ${port}\nStandardOutput=append:${log}\nStandardError=append:${log}\n`,
    );
    const reload = await asCaller(manager, ['systemctl', '--user', 'daemon-reload']);
    assert.equal(reload.code, 0, reload.stderr);
    const enable = await asCaller(manager, ['systemctl', '--user', 'enable', '--now', 'k3s-rootless']);
    assert.equal(enable.code, 0, enable.stderr);
    const output = (): string => {
      try {
        return readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor('the API port forwarded to the host', () => canConnect(port), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${output()}`);
    });
    assert.match(output(), /already running in a delegated cgroup v2 subtree/);
    const show = await asCaller(manager, ['systemctl', '--user', 'show', 'k3s-rootless', '-p', 'ActiveState', '-p', 'Delegate', '-p', 'UnitFileState']);
    assert.match(show.stdout, /ActiveState=active/);
    assert.match(show.stdout, /Delegate=yes/);
    assert.match(show.stdout, /UnitFileState=enabled/);

    const stop = await asCaller(manager, ['systemctl', '--user', 'stop', 'k3s-rootless']);
    assert.equal(stop.code, 0, stop.stderr);
    await waitFor('every cluster process to be gone', () => clusterProcesses(user).length === 0, 15_000).catch(() => {
      throw new Error(`left running: ${clusterProcesses(user).join(', ')}\n${output()}`);
    });
    assert.equal(await canConnect(port), false, 'the forwarded port is closed');

    // A restart of the unit (as at every boot) repeats the launcher's plan from the launch cache:
    // nothing its checks read changed, the unit's cgroup is the same one.
    const before = output().length;
    const start = await asCaller(manager, ['systemctl', '--user', 'start', 'k3s-rootless']);
    assert.equal(start.code, 0, start.stderr);
    await waitFor('the API port forwarded again', () => canConnect(port), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${output().slice(before)}`);
    });
    assert.match(output().slice(before), /started from the launch cache/);
    assert.doesNotMatch(output().slice(before), /handing over to rootlesskit/);
    const again = await asCaller(manager, ['systemctl', '--user', 'stop', 'k3s-rootless']);
    assert.equal(again.code, 0, again.stderr);
    await waitFor('every cluster process to be gone again', () => clusterProcesses(user).length === 0, 15_000).catch(() => {
      throw new Error(`left running: ${clusterProcesses(user).join(', ')}\n${output().slice(before)}`);
    });
  });

  test('systemd-run --user -p Delegate=yes --tty k3s server --rootless', { timeout: 120_000 }, async (t) => {
    const user = createTestUser(t);
    const manager = await startUserManager(t, user);
    const port = await freePort();
    const k3s = k3sCommandFor(user, K3S_BIN);
    const unit = 'k3s-tty-test';
    // --tty wants a terminal: script(1) gives it one, as a user's terminal would.
    const command = ['systemd-run', '--user', '-p', 'Delegate=yes', `--unit=${unit}`, '--tty', ...k3s, 'server', '--rootless', '--disable-agent', '--https-listen-port', String(port)].join(' ');
    const session = spawnTracked(t, manager.callerArgv[0] as string, [...manager.callerArgv.slice(1), 'script', '-qfec', command, '/dev/null']);
    await waitFor('the API port forwarded to the host', () => canConnect(port), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${session.output()}`);
    });
    assert.match(session.output(), /already running in a delegated cgroup v2 subtree/);
    const show = await asCaller(manager, ['systemctl', '--user', 'show', unit, '-p', 'Delegate', '-p', 'ActiveState']);
    assert.match(show.stdout, /Delegate=yes/);
    assert.match(show.stdout, /ActiveState=active/);

    const stop = await asCaller(manager, ['systemctl', '--user', 'stop', unit]);
    assert.equal(stop.code, 0, stop.stderr);
    await waitFor('every cluster process to be gone', () => clusterProcesses(user).length === 0, 15_000).catch(() => {
      throw new Error(`left running: ${clusterProcesses(user).join(', ')}\n${session.output()}`);
    });
  });

  test('the shipped user unit passes systemd-analyze --user verify', { timeout: 60_000 }, async (t) => {
    const user = createTestUser(t);
    const manager = await startUserManager(t, user);
    // Verified as shipped except for ExecStart's path, which must exist on this machine.
    const k3s = k3sCommandFor(user, K3S_BIN).join(' ');
    const unit = readFileSync(join(REPO_ROOT, 'units/k3s-rootless.service'), 'utf8').replace(/^ExecStart=\/usr\/local\/bin\/k3s /m, `ExecStart=${k3s} `);
    const path = writeUserFile(user, 'verify/k3s-rootless.service', unit);
    const verify = await asCaller(manager, ['systemd-analyze', '--user', 'verify', path]);
    assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    assert.equal(verify.stderr.trim(), '', 'no warnings');
  });
});
