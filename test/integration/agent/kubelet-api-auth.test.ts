/**
 * The kubelet API's door: TLS with a client certificate from the client CA, and of those only
 * the API server's (CN system:apiserver) or a system:masters one. Real TLS on loopback; no
 * runtime is reached (the CRI socket does not exist), only the door is tested.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeletApi } from '../../../src/agent/kubelet-api/index.js';
import { CriClient } from '../../../src/agent/cri/index.js';
import { createCaCertificate, signCertificate } from '../../../src/auth/certs.js';
import { generateEcKey, privateKeyToPem } from '../../../src/auth/keys.js';
import { tempDir } from '../../helpers/index.js';

async function leaf(spec: Parameters<typeof signCertificate>[0], caPem: string, caKey: ReturnType<typeof generateEcKey>): Promise<{ cert: string; key: string }> {
  const key = generateEcKey();
  return { cert: await signCertificate(spec, key, caPem, caKey), key: privateKeyToPem(key) };
}

function get(port: number, ca: string, client?: { cert: string; key: string }, path = '/healthz'): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, ca, ...(client ?? {}), checkServerIdentity: () => undefined }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    req.end();
  });
}

test('only the API server (or a cluster admin) gets through the kubelet API', async (t) => {
  const serverCaKey = generateEcKey();
  const serverCa = await createCaCertificate('k3s-server-ca@1', serverCaKey);
  const clientCaKey = generateEcKey();
  const clientCa = await createCaCertificate('k3s-client-ca@1', clientCaKey);
  const otherCaKey = generateEcKey();
  const otherCa = await createCaCertificate('someone-else@1', otherCaKey);
  const serving = await leaf({ commonName: 'node1', usage: 'server', sans: { dnsNames: ['localhost'], ips: ['127.0.0.1'] } }, serverCa, serverCaKey);
  const apiserver = await leaf({ commonName: 'system:apiserver', organizations: ['system:masters'], usage: 'client' }, clientCa, clientCaKey);
  const admin = await leaf({ commonName: 'system:admin', organizations: ['system:masters'], usage: 'client' }, clientCa, clientCaKey);
  const nodeCert = await leaf({ commonName: 'system:node:node1', organizations: ['system:nodes'], usage: 'client' }, clientCa, clientCaKey);
  const stranger = await leaf({ commonName: 'system:apiserver', organizations: ['system:masters'], usage: 'client' }, otherCa, otherCaKey);

  const cri = new CriClient(join(tempDir(t, 'k3s-kubelet-'), 'missing.sock'));
  t.after(() => cri.close());
  const controller = new AbortController();
  t.after(() => controller.abort());
  const api = new KubeletApi({ cri, tls: { certPem: serving.cert, keyPem: serving.key, clientCaPem: clientCa }, host: '127.0.0.1', port: 0 });
  await api.start(controller.signal);

  assert.deepEqual(await get(api.port, serverCa, apiserver), { status: 200, body: 'ok' });
  assert.deepEqual(await get(api.port, serverCa, admin), { status: 200, body: 'ok' });
  const asNode = await get(api.port, serverCa, nodeCert);
  assert.ok('status' in asNode && asNode.status === 403, JSON.stringify(asNode));
  assert.match((asNode as { body: string }).body, /"reason":"Forbidden"/);
  // Without a certificate, or with one from another CA, the TLS handshake itself fails.
  assert.ok('error' in (await get(api.port, serverCa)));
  assert.ok('error' in (await get(api.port, serverCa, stranger)));
  // exec without an upgrade is a clear 400, before any runtime call.
  const plain = await get(api.port, serverCa, apiserver, '/exec/ns/p/c?command=true&stdout=1');
  assert.ok('status' in plain && plain.status === 400 && /Upgrade request required/.test(plain.body), JSON.stringify(plain));
});
