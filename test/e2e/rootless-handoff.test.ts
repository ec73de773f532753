/**
 * The k3s wrapper hands over to rootlesskit: after its checks the Node launcher exits and the
 * process the terminal started becomes rootlesskit (same PID), so no second Node process stays
 * resident. Started from a terminal that is not in a delegated cgroup, with a systemd --user
 * manager reachable (a real one, test/helpers/systemd-user.ts), the launcher's D-Bus request
 * puts that process into the delegated scope, where it stays after the launcher is gone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { canConnect, freePort, K3S_BIN, run, spawnTracked, waitFor } from '../helpers/index.js';
import { startUserManager } from '../helpers/systemd-user.js';
import { createTestUser, k3sCommandFor, userProcesses } from '../helpers/users.js';

const v2cgroup = (pid: number): string => readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!.slice(3);

test('from a terminal: the wrapper becomes rootlesskit inside the delegated scope the launcher asked systemd --user for', { timeout: 120_000 }, async (t) => {
  const user = createTestUser(t, 'k3sho');
  const manager = await startUserManager(t, user);
  // A terminal's cgroup is not the user's to manage (a login session's scope is root-owned
  // there); the move into a scope still works, since their common parent is the user's.
  execFileSync('chown', ['root:root', join('/sys/fs/cgroup/unified', manager.callerCgroup, 'cgroup.subtree_control')]);
  const port = await freePort();
  const server = spawnTracked(t, manager.callerArgv[0]!, [...manager.callerArgv.slice(1), ...k3sCommandFor(user, K3S_BIN), 'server', '--rootless', '--disable-agent', '--https-listen-port', String(port)]);
  const fail = (err: Error): never => {
    throw new Error(`${err.message}\n${server.output()}`);
  };
  await waitFor('the API port forwarded to the host', () => canConnect(port), 60_000).catch(fail);
  assert.match(server.output(), /running in a delegated cgroup scope from systemd --user/);
  assert.match(server.output(), /handing over to rootlesskit/);

  // The spawned process (sh, then setpriv, then the wrapper, all exec'd) is now rootlesskit.
  const comm = readFileSync(`/proc/${server.child.pid}/comm`, 'utf8').trim();
  assert.equal(comm, 'rootlesskit', 'the process the terminal started is rootlesskit itself');
  assert.match(v2cgroup(server.child.pid!), /\/app\.slice\/k3s-rootless-[0-9a-f]{8}\.scope$/);
  const nodes = userProcesses(user).filter((p) => p.endsWith(' node'));
  assert.equal(nodes.length, 1, `only the server inside runs Node: ${userProcesses(user).join(', ')}`);
  const serverPid = Number(nodes[0]!.split(' ')[0]);
  const parent = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1];
  assert.equal(readFileSync(`/proc/${parent}/comm`, 'utf8').trim(), 'exe', "the server is rootlesskit's child");

  const scope = v2cgroup(server.child.pid!).split('/').pop()!;
  server.child.kill('SIGTERM');
  const code = await server.exited;
  assert.ok(code === 0 || code === 143, `exit code ${code}\n${server.output()}`);
  await waitFor('every cluster process to be gone', () => userProcesses(user, /\b(systemd|\(sd-pam\)|dbus-daemon)$/).length === 0, 15_000).catch(fail);
  const shown = await run(manager.callerArgv[0]!, [...manager.callerArgv.slice(1), 'systemctl', '--user', 'show', scope, '-p', 'ActiveState']);
  assert.match(shown.stdout, /ActiveState=inactive/, 'the scope ends with the cluster');
});
