/**
 * `k3s rootless killall` (what the installed k3s-killall.sh runs for a user who is not root), as a
 * real unprivileged user: it stops rootlesskit, slirp4netns, the server, containerd, the shims
 * and the containers of that user's rootless k3s, leaves the user's other rootlesskit (say,
 * rootless Docker) alone, removes the stale state files so the next start works, and stops a
 * systemd --user service first so Restart=always does not bring the cluster back.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { canConnect, freePort, K3S_BIN, REPO_ROOT, run, spawnTracked, waitFor, type RunResult } from '../helpers/index.js';
import { startUserManager } from '../helpers/systemd-user.js';
import { createTestUser, k3sAsUser, k3sCommandFor, kubectlAsUser, rootlessPrerequisiteProblem, userProcesses, type TestUser } from '../helpers/users.js';

/** `pid` and all its descendants. */
function processTree(pid: number): Set<number> {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=']).toString().trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parent] of rows) {
      if (!tree.has(child!) && tree.has(parent!)) {
        tree.add(child!);
        grew = true;
      }
    }
  }
  return tree;
}

const asUser = (user: TestUser, args: string[], env: string[] = []): Promise<RunResult> =>
  run('runuser', k3sAsUser(user, args, env), { timeoutMs: 60_000 });

describe('k3s rootless killall', () => {
  test('stops the whole rootless cluster of the user, containers included, and the next start works', { timeout: 300_000 }, async (t) => {
    const user = createTestUser(t, 'k3skill');
    assert.equal(rootlessPrerequisiteProblem(user), undefined);
    const port = await freePort();
    const node = `killall-${process.pid}`;
    const start = () =>
      spawnTracked(t, 'runuser', k3sAsUser(user, ['server', '--rootless', '--https-listen-port', String(port), '--node-name', node], ['K3S_LOG_FORMAT=json']));
    const kubectl = (args: string[], input?: string): Promise<RunResult> =>
      run('runuser', kubectlAsUser(user, args), input === undefined ? {} : { input });
    let server = start();
    const fail = (err: Error): never => {
      throw new Error(`${err.message}\n--- server output ---\n${server.output().slice(-6000)}`);
    };
    // Another rootlesskit of the same user that is not k3s: killall must leave it running.
    const otherState = join(user.home, 'other-rootlesskit');
    const other = spawn('rootlesskit', [`--state-dir=${otherState}`, '--net=host', 'sleep', '600'], { stdio: 'ignore', uid: user.uid, gid: user.gid, env: { ...process.env, HOME: user.home, USER: user.name } });
    t.after(() => other.kill('SIGKILL'));

    await waitFor('node Ready', async () => new RegExp(`^${node}\\s+Ready\\s`, 'm').test((await kubectl(['get', 'nodes', '--no-headers'])).stdout), 90_000, 200).catch(fail);
    const applied = await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata:
  name: sleeper
spec:
  nodeName: ${node}
  containers:
  - name: main
    image: docker.io/library/busybox:1.35.0
    command: ["sleep", "3600"]
`,
    );
    assert.equal(applied.code, 0, applied.stderr);
    await waitFor('pod Running', async () => /^sleeper\s+1\/1\s+Running/m.test((await kubectl(['get', 'pod', 'sleeper', '--no-headers'])).stdout), 90_000, 200).catch(fail);
    const before = userProcesses(user);
    for (const comm of ['rootlesskit', 'slirp4netns', 'containerd', 'containerd-shim']) {
      assert.ok(before.some((p) => p.endsWith(` ${comm}`)), `${comm} runs before killall: ${before.join(', ')}`);
    }
    const stateDir = join(user.home, '.rancher/k3s/rootless');
    assert.ok(existsSync(join(stateDir, 'api.sock')));

    const killall = await asUser(user, ['rootless', 'killall']);
    assert.equal(killall.code, 0, killall.stdout + killall.stderr);
    assert.match(killall.stdout, new RegExp(`stopped rootless k3s \\(rootlesskit pid \\d+, state dir ${stateDir}, \\d+ processes\\)`));
    await server.exited;
    // Only the other rootlesskit (its parent and its child) and its sleep are left.
    // Zombies are not running: killed orphans wait for PID 1 to reap them.
    const zombie = (pid: number): boolean => {
      try {
        return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()!.slice(0, 3));
      } catch {
        return true;
      }
    };
    const notOther = (): string[] => {
      const others = processTree(other.pid!);
      return userProcesses(user).filter((p) => !others.has(Number(p.split(' ')[0])) && !zombie(Number(p.split(' ')[0])));
    };
    assert.equal(processTree(other.pid!).size, 3, 'the other rootlesskit, its child and sleep still run');
    const left = notOther();
    assert.deepEqual(left, [], 'nothing of the cluster is left running');
    assert.ok(other.exitCode === null && other.signalCode === null, 'the other rootlesskit still runs');
    assert.ok(userProcesses(user).some((p) => p.endsWith(' rootlesskit')), 'the other rootlesskit still runs');
    assert.equal(await canConnect(port), false, 'the API port is closed on the host');
    assert.ok(!existsSync(join(stateDir, 'api.sock')) && !existsSync(join(stateDir, 'child_pid')), 'no stale state files');

    const again = await asUser(user, ['rootless', 'killall']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /no rootless k3s is running for this user/);

    server = start();
    await waitFor('node Ready after killall', async () => new RegExp(`^${node}\\s+Ready\\s`, 'm').test((await kubectl(['get', 'nodes', '--no-headers'])).stdout), 90_000, 200).catch(fail);
    // The pod comes back with the node; this time no grace: the kill path takes the containers too.
    // (Its status still says Running from before the kill: wait for its shim instead.)
    await waitFor('the pod container running again', () => userProcesses(user).some((p) => p.endsWith(' containerd-shim')), 90_000, 200).catch(fail);
    const byDataDir = await asUser(user, ['rootless', 'killall', '--data-dir', join(user.home, '.rancher/k3s'), '--grace-period', '0']);
    assert.equal(byDataDir.code, 0, byDataDir.stderr);
    assert.match(byDataDir.stdout, /stopped rootless k3s/);
    await server.exited;
    await waitFor('nothing left after the kill path either', () => notOther().length === 0, 10_000).catch(() => {
      throw new Error(`left running: ${notOther().join(', ')}`);
    });
    assert.ok(!existsSync(join(stateDir, 'api.sock')), 'no stale api.sock after the kill path');
  });

  test('refuses to run as root, pointing at k3s-killall.sh', async () => {
    const root = await run(process.execPath, [K3S_BIN, 'rootless', 'killall']);
    assert.equal(root.code, 1);
    assert.match(root.stderr, /run it as that user \(for root's k3s use k3s-killall\.sh\)/);
  });

  test('stops the systemd --user service first, so Restart=always does not bring the cluster back', { timeout: 120_000 }, async (t) => {
    const user = createTestUser(t, 'k3skill');
    const manager = await startUserManager(t, user);
    const port = await freePort();
    const k3s = k3sCommandFor(user, K3S_BIN).join(' ');
    const unitDir = join(user.home, '.config/systemd/user');
    for (const dir of [join(user.home, '.config'), unitDir, join(unitDir, 'k3s-rootless.service.d')]) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, user.uid, user.gid);
    }
    writeFileSync(join(unitDir, 'k3s-rootless.service'), readFileSync(join(REPO_ROOT, 'units/k3s-rootless.service'), 'utf8'));
    writeFileSync(join(unitDir, 'k3s-rootless.service.d/override.conf'), `[Service]\nExecStart=\nExecStart=${k3s} server --rootless --disable-agent --https-listen-port ${port}\n`);
    const caller = (argv: string[]) => run(manager.callerArgv[0]!, [...manager.callerArgv.slice(1), ...argv], { timeoutMs: 60_000 });
    assert.equal((await caller(['systemctl', '--user', 'daemon-reload'])).code, 0);
    const started = await caller(['systemctl', '--user', 'start', 'k3s-rootless']);
    assert.equal(started.code, 0, started.stderr);
    await waitFor('the API port forwarded to the host', () => canConnect(port), 60_000);

    const killall = await caller([...k3sCommandFor(user, K3S_BIN), 'rootless', 'killall']);
    assert.equal(killall.code, 0, killall.stdout + killall.stderr);
    assert.match(killall.stdout, /stopped the systemd --user service k3s-rootless\.service/);
    assert.match(killall.stdout, /stopped rootless k3s/);
    // Longer than RestartSec=2: a unit that was merely killed would be back by now.
    await new Promise((r) => setTimeout(r, 4000));
    const state = await caller(['systemctl', '--user', 'show', 'k3s-rootless', '-p', 'ActiveState']);
    assert.match(state.stdout, /ActiveState=inactive/);
    const left = userProcesses(user, /\b(systemd|\(sd-pam\)|dbus-daemon)$/);
    assert.deepEqual(left, []);
    assert.equal(await canConnect(port), false);
  });
});
