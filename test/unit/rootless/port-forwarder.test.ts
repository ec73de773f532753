import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { PortForwarder } from '../../../src/rootless/port-forwarder.js';
import { tempDir } from '../../helpers/index.js';

/**
 * A stand-in for rootlesskit's port API on $STATE/api.sock: keeps the forwards it is given and
 * refuses host ports listed in `taken` the way rootlesskit does. Every answer waits for
 * `release()`, to see who waits for rootlesskit.
 */
async function fakeRootlessKit(t: TestContext, taken: readonly number[] = []) {
  const stateDir = tempDir(t, 'rlk-fake-');
  const ports: { id: number; spec: { proto: string; parentIP?: string; parentPort: number; childPort: number } }[] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let requests = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests++;
      void held.then(() => {
        if (req.method === 'GET' && req.url === '/v1/ports') return res.end(JSON.stringify(ports.length ? ports : null));
        if (req.method === 'POST' && req.url === '/v1/ports') {
          const spec = JSON.parse(body) as (typeof ports)[number]['spec'];
          if (taken.includes(spec.parentPort)) {
            res.statusCode = 400;
            return res.end(JSON.stringify({ message: `listen tcp 0.0.0.0:${spec.parentPort}: bind: address already in use` }));
          }
          const status = { id: ports.length + 1, spec };
          ports.push(status);
          res.statusCode = 201;
          return res.end(JSON.stringify(status));
        }
        res.statusCode = 404;
        res.end(JSON.stringify({ message: 'not here' }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(join(stateDir, 'api.sock'), resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return {
    stateDir,
    ports,
    requests: () => requests,
    release: () => release(),
  };
}

test('start does not wait for the API server port forward; the confirmation does, and sees it made', async (t) => {
  const kit = await fakeRootlessKit(t);
  const forwarder = new PortForwarder(kit.stateDir, [{ proto: 'tcp', port: 6443, owner: 'API server' }], 1024);
  const abort = new AbortController();
  t.after(() => abort.abort());
  // rootlesskit has not answered anything yet, and start is already done.
  await forwarder.start(abort.signal);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(kit.ports.length, 0);
  assert.equal(kit.requests(), 1, 'the forward was asked for at start');
  let confirmed = false;
  const confirmation = forwarder.confirmation.start(abort.signal).then(() => (confirmed = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(confirmed, false, 'the confirmation waits for rootlesskit');
  kit.release();
  await confirmation;
  assert.deepEqual(kit.ports.map((p) => p.spec), [{ proto: 'tcp', parentPort: 6443, childPort: 6443 }]);
});

test('the confirmation fails start-up, with the fix, when the host port is taken', async (t) => {
  const kit = await fakeRootlessKit(t, [6443]);
  kit.release();
  const forwarder = new PortForwarder(kit.stateDir, [{ proto: 'tcp', port: 6443, owner: 'API server' }], 1024);
  const abort = new AbortController();
  t.after(() => abort.abort());
  await forwarder.start(abort.signal);
  await assert.rejects(forwarder.confirmation.start(abort.signal), /host port 6443\/tcp for the API server is already in use on the host: stop what listens there, or choose another port \(for the API server: --https-listen-port\)/);
});

test('the confirmation fails start-up when rootlesskit does not answer at all', async (t) => {
  const kit = await fakeRootlessKit(t);
  const forwarder = new PortForwarder(join(kit.stateDir, 'elsewhere'), [{ proto: 'tcp', port: 6443, owner: 'API server' }], 1024);
  const abort = new AbortController();
  t.after(() => abort.abort());
  await forwarder.start(abort.signal);
  await assert.rejects(forwarder.confirmation.start(abort.signal), /ENOENT|api\.sock/);
});

test('later changes wait for the initial forwards, so they never race on the same port', async (t) => {
  const kit = await fakeRootlessKit(t);
  const api = { proto: 'tcp' as const, port: 6443, owner: 'API server' };
  const forwarder = new PortForwarder(kit.stateDir, [api], 1024);
  const abort = new AbortController();
  t.after(() => abort.abort());
  await forwarder.start(abort.signal);
  const changed = forwarder.setForwards([api, { proto: 'tcp', port: 80, owner: 'service a/web' }]);
  kit.release();
  assert.deepEqual(await changed, []);
  await forwarder.confirmation.start(abort.signal);
  assert.deepEqual(kit.ports.map((p) => p.spec.parentPort).sort((a, b) => a - b), [6443, 10080]);
});
