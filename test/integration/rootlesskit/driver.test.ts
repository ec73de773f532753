import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, chownSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { RootlessKitApiError, RootlessKitStartError, startRootlessKit } from '../../../rootlesskit/index.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { createTestUser, rootlessPrerequisiteProblem } from '../../helpers/users.js';

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('rootlesskit driver: slirp4netns namespace with MTU and CIDR, info, and port forwards added and removed', async (t) => {
  const user = createTestUser(t);
  const problem = rootlessPrerequisiteProblem(user);
  assert.equal(problem, undefined, problem);
  const www = join(user.home, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), 'hello from the namespace\n');
  chownSync(www, user.uid, user.gid);
  const stateDir = join(user.home, 'rk-state');
  let output = '';
  const kit = await startRootlessKit(
    {
      stateDir,
      net: 'slirp4netns',
      mtu: 1500,
      cidr: '10.41.0.0/16',
      disableHostLoopback: true,
      portDriver: 'builtin',
      copyUpDirs: ['/etc', '/run'],
      pidns: true,
      utsns: true,
      ipcns: true,
      command: ['sh', '-c', `ip -o link show tap0; ip -o -4 addr show tap0; exec busybox httpd -f -p 8080 -h ${www}`],
    },
    { wrapper: user.runAs, onOutput: (chunk) => (output += chunk) },
  );
  t.after(() => kit.stop());

  assert.equal(kit.info.networkDriver?.driver, 'slirp4netns');
  assert.equal(kit.info.networkDriver?.childIP, '10.41.0.100');
  assert.equal(kit.info.portDriver?.driver, 'builtin');
  await waitFor('the child to report tap0', () => output.includes('inet 10.41.0.100/16'), 10_000);
  assert.match(output, /tap0.*mtu 1500/);

  assert.deepEqual(await kit.client.listPorts(), []);
  const port = await freePort();
  const forward = await kit.client.addPort({ proto: 'tcp', parentIP: '127.0.0.1', parentPort: port, childPort: 8080 });
  assert.equal(forward.spec.parentPort, port);
  assert.equal(await waitFor('the forwarded port to answer', () => httpGet(port).catch(() => undefined), 10_000), 'hello from the namespace\n');
  assert.equal((await kit.client.listPorts()).length, 1);

  await assert.rejects(kit.client.addPort({ proto: 'tcp', parentIP: '127.0.0.1', parentPort: port, childPort: 8080 }), (err: unknown) => err instanceof RootlessKitApiError && /conflict/.test(err.message));
  await assert.rejects(kit.client.removePort(9999), /unknown id/);

  await kit.client.removePort(forward.id);
  assert.deepEqual(await kit.client.listPorts(), []);
  await assert.rejects(httpGet(port), /ECONNREFUSED/);

  const code = await kit.stop();
  assert.ok(code === 0 || code === 143, `rootlesskit exit code ${code}`);
});

test('rootlesskit driver: a start failure carries rootlesskit\'s own reason', async () => {
  // As root rootlesskit refuses: "No subuid ranges found for user 0".
  await assert.rejects(
    startRootlessKit({ stateDir: '/tmp/k3s-rk-root-test-does-not-matter', net: 'slirp4netns', command: ['true'] }, { onOutput: () => undefined, readyTimeoutMs: 10_000 }),
    (err: unknown) => err instanceof RootlessKitStartError && /exited with code/.test(err.message) && /subuid/i.test(err.message),
  );
});
