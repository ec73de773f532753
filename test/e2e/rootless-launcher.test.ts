/**
 * `k3s server --rootless` as a real unprivileged user: rootlesskit + slirp4netns come up, the
 * K3S_ROOTLESS_* settings take effect inside the namespaces, the API server port is forwarded
 * to the host, a second instance is refused, and SIGTERM leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RootlessKitClient } from '../../rootlesskit/index.js';
import { canConnect, freePort, K3S_BIN, run, spawnTracked, waitFor } from '../helpers/index.js';
import { createTestUser, k3sAsUser, kubectlAsUser, rootlessPrerequisiteProblem, userProcesses } from '../helpers/users.js';

describe('k3s server --rootless', () => {
  test('comes up in rootlesskit with the K3S_ROOTLESS_* settings, forwards the API port, and stops cleanly', async (t) => {
    const user = createTestUser(t);
    assert.equal(rootlessPrerequisiteProblem(user), undefined);
    const port = await freePort();
    const env = [
      'K3S_ROOTLESS_MTU=1400',
      'K3S_ROOTLESS_CIDR=10.77.0.0/16',
      'K3S_ROOTLESS_PORT_DRIVER=slirp4netns',
      'K3S_ROOTLESS_ENABLE_IPV6=true',
      'K3S_ROOTLESS_DISABLE_HOST_LOOPBACK=false',
      'K3S_ROOTLESS_COPYUPDIRS=/srv',
    ];
    // Reached from inside through the slirp4netns gateway only when host loopback is enabled.
    const hostListener = createServer((c) => c.end('hello from the host\n'));
    await new Promise<void>((resolve) => hostListener.listen(0, '127.0.0.1', resolve));
    t.after(() => hostListener.close());
    const hostPort = (hostListener.address() as AddressInfo).port;
    const server = spawnTracked(t, 'runuser', k3sAsUser(user, ['server', '--rootless', '--disable-agent', '--https-listen-port', String(port)], env));
    const stateDir = join(user.home, '.rancher/k3s/rootless');
    await waitFor('the API port forward', () => server.output().includes('forwarding host port'), 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${server.output()}`);
    });

    const info = await new RootlessKitClient(join(stateDir, 'api.sock')).info();
    assert.equal(info.portDriver?.driver, 'slirp4netns');
    assert.equal(info.networkDriver?.childIP, '10.77.0.100');
    const childPid = readFileSync(join(stateDir, 'child_pid'), 'utf8').trim();
    const link = await run('runuser', ['-u', user.name, '--', 'nsenter', '-t', childPid, '-U', '--preserve-credentials', '-n', 'ip', '-o', 'link', 'show', 'tap0']);
    assert.match(link.stdout, /mtu 1400/, link.stderr);
    const inside = (...cmd: string[]) => run('runuser', ['-u', user.name, '--', 'nsenter', '-t', childPid, '-U', '--preserve-credentials', '-m', '-n', ...cmd]);
    const v4 = await inside('ip', '-o', '-4', 'addr', 'show', 'tap0');
    assert.match(v4.stdout, /inet 10\.77\.0\.100\/16/, 'K3S_ROOTLESS_CIDR sets the namespace address');
    // slirp4netns hands out the IPv6 address by router advertisement: it appears shortly after start.
    let v6 = '';
    await waitFor('an IPv6 address inside (K3S_ROOTLESS_ENABLE_IPV6=true)', async () => {
      const addr = await inside('ip', '-o', '-6', 'addr', 'show', 'tap0', 'scope', 'global');
      v6 = addr.stdout + addr.stderr;
      return /inet6 fd00::/.test(addr.stdout);
    }, 10_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${v6}`);
    });
    const loopback = await inside('timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/10.77.0.2/${hostPort}; head -1 <&3`);
    assert.match(loopback.stdout, /hello from the host/, `K3S_ROOTLESS_DISABLE_HOST_LOOPBACK=false reaches the host's loopback: ${loopback.stderr}`);
    const copyUp = await inside('sh', '-c', 'touch /srv/k3s-copy-up && echo writable');
    assert.match(copyUp.stdout, /writable/, `K3S_ROOTLESS_COPYUPDIRS makes /srv writable inside: ${copyUp.stderr}`);
    assert.ok(!existsSync('/srv/k3s-copy-up'), 'the copy-up is private to the namespace');
    assert.ok(await canConnect(port), 'the API server port is open on the host');

    const second = await run('runuser', k3sAsUser(user, ['server', '--rootless', '--disable-agent', '--https-listen-port', String(await freePort())]));
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already running with data dir .*\.rancher\/k3s/);

    server.child.kill('SIGTERM');
    const code = await server.exited;
    assert.ok(code === 0 || code === 143, `exit code ${code}\n${server.output()}`);
    await waitFor('every process of the user to be gone', () => userProcesses(user).length === 0, 10_000).catch(() => {
      throw new Error(`left running: ${userProcesses(user).join(', ')}`);
    });
    assert.equal(await canConnect(port), false, 'the forwarded port is closed after shutdown');
  });

  test('kubectl as the user works against ~/.kube/k3s.yaml, and a restart keeps the data', { timeout: 180_000 }, async (t) => {
    const user = createTestUser(t);
    const port = await freePort();
    const start = () => spawnTracked(t, 'runuser', k3sAsUser(user, ['server', '--rootless', '--disable-agent', '--https-listen-port', String(port)], ['K3S_LOG_FORMAT=json']));
    // kubectl runs as the user, with the user's default kubeconfig, exactly as the docs say.
    const kubectl = (...args: string[]) => run('runuser', kubectlAsUser(user, args));
    let server = start();
    await waitFor('k3s is up', () => server.output().includes('"k3s is up"'), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${server.output()}`);
    });
    const created = await kubectl('create', 'configmap', 'keep-me', '--from-literal=a=1');
    assert.equal(created.code, 0, created.stderr);
    server.child.kill('SIGTERM');
    await server.exited;
    await waitFor('every process of the user to be gone', () => userProcesses(user).length === 0, 15_000);
    server = start();
    await waitFor('k3s is up again', () => server.output().includes('"k3s is up"'), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${server.output()}`);
    });
    const kept = await kubectl('get', 'configmap', 'keep-me', '-o', 'jsonpath={.data.a}');
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(kept.stdout, '1');
  });

  test('says what is wrong, and exits 1, for bad settings and for root', async (t) => {
    const user = createTestUser(t);
    const asUser = (env: string[], ...args: string[]) =>
      run('runuser', k3sAsUser(user, ['server', '--rootless', '--disable-agent', ...args], env));
    const mtu = await asUser(['K3S_ROOTLESS_MTU=9'], '--https-listen-port', String(await freePort()));
    assert.equal(mtu.code, 1);
    assert.match(mtu.stderr, /K3S_ROOTLESS_MTU="9": must be between 1280 and 65520/);
    const driver = await asUser(['K3S_ROOTLESS_PORT_DRIVER=vpnkit']);
    assert.match(driver.stderr, /K3S_ROOTLESS_PORT_DRIVER="vpnkit"/);
    const root = await run(process.execPath, [K3S_BIN, 'server', '--rootless', '--disable-agent']);
    assert.equal(root.code, 1);
    assert.match(root.stderr, /--rootless cannot run as root/);
  });

  test('refuses to start, with the fix, when the API port is taken on the host', async (t) => {
    const user = createTestUser(t);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as AddressInfo).port;
    const server = await run('runuser', k3sAsUser(user, ['server', '--rootless', '--disable-agent', '--https-listen-port', String(port)]), { timeoutMs: 30_000 });
    assert.notEqual(server.code, 0);
    assert.match(server.stdout + server.stderr, new RegExp(`host port ${port}/tcp for the API server is already in use on the host: stop what listens there, or choose another port \\(for the API server: --https-listen-port\\)`));
    await waitFor('every process of the user to be gone', () => userProcesses(user).length === 0, 10_000);
  });

  test('refuses to start, with the fix, when the user has no subordinate uid range', async (t) => {
    const user = createTestUser(t);
    const entry = readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${user.name}:`));
    assert.ok(entry, 'useradd gave the user a range');
    const [, start, count] = entry.split(':');
    execFileSync('usermod', ['--del-subuids', `${start}-${Number(start) + Number(count) - 1}`, user.name]);
    const server = await run('runuser', k3sAsUser(user, ['server', '--rootless', '--disable-agent', '--https-listen-port', String(await freePort())]));
    assert.equal(server.code, 1);
    assert.match(server.stderr, /not ready for rootless k3s/);
    assert.match(server.stderr, new RegExp(`fix: .*usermod --add-subuids .* ${user.name}`));
  });
});
