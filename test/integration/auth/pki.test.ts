/**
 * The PKI checked with the real openssl, and the serving/client certificates exercised over a real
 * TLS connection by the real kubectl using the kubeconfig we write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, kubectl, run, tempDir } from '../../helpers/index.js';
import { createAuthenticator, ensurePki, ensureTokens, writeKubeconfig, type Pki } from '../../../src/auth/index.js';
import { authConfig } from '../../unit/auth/fixture.js';

async function openssl(args: string[]): Promise<string> {
  const result = await run('openssl', args);
  assert.equal(result.code, 0, `openssl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

test('first start creates the upstream file set; openssl verifies every certificate against its CA', async (t) => {
  const dir = tempDir(t);
  await ensurePki(authConfig(dir, { tlsSans: ['k3s.example.com', '203.0.113.7'] }), { hostAddresses: false });
  const tls = join(dir, 'server/tls');
  const files = (await readdir(tls)).sort();
  for (const name of ['server-ca.crt', 'server-ca.key', 'client-ca.crt', 'client-ca.key', 'request-header-ca.crt', 'request-header-ca.key',
    'serving-kube-apiserver.crt', 'serving-kube-apiserver.key', 'client-admin.crt', 'client-admin.key', 'client-supervisor.crt',
    'client-controller.crt', 'client-scheduler.crt', 'client-kube-apiserver.crt', 'client-kube-proxy.crt', 'client-k3s-controller.crt',
    'client-auth-proxy.crt', 'service.key', 'service.current.key']) {
    assert.ok(files.includes(name), `${name} missing from ${files.join(' ')}`);
  }
  for (const name of files.filter((f) => f.endsWith('.key'))) {
    assert.equal((await stat(join(tls, name))).mode & 0o777, 0o600, `${name} mode`);
    assert.match(await readFile(join(tls, name), 'utf8'), /^-----BEGIN EC PRIVATE KEY-----/);
  }
  assert.equal((await stat(tls)).mode & 0o777, 0o700);

  const serving = await openssl(['x509', '-in', join(tls, 'serving-kube-apiserver.crt'), '-noout', '-text']);
  assert.match(serving, /Subject: CN = kube-apiserver/);
  assert.match(serving, /Public Key Algorithm: id-ecPublicKey[\s\S]*NIST CURVE: P-256/);
  assert.match(serving, /TLS Web Server Authentication/);
  for (const san of ['DNS:kubernetes,', 'DNS:kubernetes.default,', 'DNS:kubernetes.default.svc,', 'DNS:kubernetes.default.svc.cluster.local',
    'DNS:localhost', 'DNS:node-a', 'DNS:k3s.example.com', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:10.43.0.1', 'IP Address:203.0.113.7']) {
    assert.ok(serving.includes(san), `serving cert lacks ${san}:\n${serving}`);
  }
  const admin = await openssl(['x509', '-in', join(tls, 'client-admin.crt'), '-noout', '-subject', '-ext', 'extendedKeyUsage']);
  assert.match(admin, /subject=O = system:masters, CN = system:admin/);
  assert.match(admin, /TLS Web Client Authentication/);
  const ca = await openssl(['x509', '-in', join(tls, 'server-ca.crt'), '-noout', '-subject', '-ext', 'basicConstraints']);
  assert.match(ca, /subject=CN = k3s-server-ca@\d+/);
  assert.match(ca, /CA:TRUE/);

  assert.match(await openssl(['verify', '-CAfile', join(tls, 'server-ca.crt'), join(tls, 'serving-kube-apiserver.crt')]), /: OK/);
  for (const leaf of ['client-admin.crt', 'client-supervisor.crt', 'client-controller.crt', 'client-kube-proxy.crt']) {
    assert.match(await openssl(['verify', '-purpose', 'sslclient', '-CAfile', join(tls, 'client-ca.crt'), join(tls, leaf)]), /: OK/);
  }
  assert.match(await openssl(['verify', '-CAfile', join(tls, 'request-header-ca.crt'), join(tls, 'client-auth-proxy.crt')]), /: OK/);
  // A client certificate does not chain to the server CA.
  const wrong = await run('openssl', ['verify', '-CAfile', join(tls, 'server-ca.crt'), join(tls, 'client-admin.crt')]);
  assert.notEqual(wrong.code, 0);
  assert.match(await openssl(['ec', '-in', join(tls, 'service.key'), '-noout', '-check']), /^$/);
});

test('a restart reuses every file; a new --tls-san re-issues only the serving certificate, never the CAs', async (t) => {
  const dir = tempDir(t);
  const tls = join(dir, 'server/tls');
  await ensurePki(authConfig(dir), { hostAddresses: false });
  const snapshot = async (): Promise<Map<string, string>> => new Map(await Promise.all((await readdir(tls)).map(async (f) => [f, await readFile(join(tls, f), 'utf8')] as [string, string])));
  const before = await snapshot();
  await ensurePki(authConfig(dir), { hostAddresses: false });
  assert.deepEqual(await snapshot(), before);

  await ensurePki(authConfig(dir, { tlsSans: ['new.example.com'] }), { hostAddresses: false });
  const after = await snapshot();
  for (const [name, content] of before) {
    if (name === 'serving-kube-apiserver.crt') assert.notEqual(after.get(name), content, 'serving cert re-issued');
    else assert.equal(after.get(name), content, `${name} unchanged`);
  }
  const text = await openssl(['x509', '-in', join(tls, 'serving-kube-apiserver.crt'), '-noout', '-ext', 'subjectAltName']);
  assert.match(text, /DNS:new\.example\.com/);
  assert.match(await openssl(['verify', '-CAfile', join(tls, 'server-ca.crt'), join(tls, 'serving-kube-apiserver.crt')]), /: OK/);
});

test('a CA certificate without its key is an error that says how to recover, not a silent new CA', async (t) => {
  const dir = tempDir(t);
  await ensurePki(authConfig(dir), { hostAddresses: false });
  await run('rm', [join(dir, 'server/tls/client-ca.key')]);
  await assert.rejects(ensurePki(authConfig(dir), { hostAddresses: false }), /client-ca\.crt exists but its key .* is missing: restore the key/);
});

/** A tiny HTTPS server with our TLS options that answers who the caller is. */
async function whoamiServer(t: Parameters<typeof tempDir>[0], pki: Pki, port: number): Promise<Server> {
  const authn = createAuthenticator(pki);
  const server = createServer(pki.tlsServerOptions(), (req, res) => {
    void (async () => {
      const result = await authn.authenticate({ clientCertificate: (req.socket as TLSSocket).getPeerCertificate(), authorization: req.headers.authorization });
      if (req.url === '/version') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0+k3s1', platform: 'linux/amd64' }));
        return;
      }
      if (result.kind !== 'authenticated') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${result.user.username} ${result.user.groups.join(',')}`);
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

test('the real kubectl trusts the serving certificate and is authenticated by the admin certificate from the written kubeconfig', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const config = authConfig(dir, { port, kubeconfig: join(dir, 'k3s.yaml') });
  const pki = await ensurePki(config, { hostAddresses: false });
  await ensureTokens(config, pki.serverCaPem);
  await writeKubeconfig(config, pki);
  await whoamiServer(t, pki, port);
  const cacheDir = tempDir(t);
  const who = await kubectl({ kubeconfig: config.kubeconfig.path, cacheDir }, ['get', '--raw', '/whoami'], { timeoutMs: 60_000 });
  assert.equal(who.code, 0, who.stderr);
  assert.equal(who.stdout.trim(), 'system:admin system:masters,system:authenticated');

  // The same through a service-account token instead of the certificate; a bad token is 401.
  const authn = createAuthenticator(pki);
  const { token } = authn.serviceAccountTokens.issue({ namespace: 'default', serviceAccountName: 'ci', serviceAccountUid: 'u1' });
  const server = `https://127.0.0.1:${port}`;
  const caFile = join(dir, 'server/tls/server-ca.crt');
  const viaToken = await kubectl({ kubeconfig: join(dir, 'none.yaml'), cacheDir }, ['--server', server, '--certificate-authority', caFile, '--token', token, 'get', '--raw', '/whoami']);
  assert.equal(viaToken.code, 0, viaToken.stderr);
  assert.equal(viaToken.stdout.trim(), 'system:serviceaccount:default:ci system:serviceaccounts,system:serviceaccounts:default,system:authenticated');
  const bad = await kubectl({ kubeconfig: join(dir, 'none.yaml'), cacheDir }, ['--server', server, '--certificate-authority', caFile, '--token', token.slice(0, -4) + 'AAAA', 'get', '--raw', '/whoami']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Unauthorized/);
});

test('certificate check reports every certificate; rotate re-issues leaves on next start and keeps the CAs', async (t) => {
  const { checkCertificates, rotateLeafCertificates } = await import('../../../src/auth/index.js');
  const dir = tempDir(t);
  const first = await ensurePki(authConfig(dir), { hostAddresses: false });
  const report = await checkCertificates(authConfig(dir));
  assert.ok(report.length >= 14);
  assert.ok(report.every((c) => c.status === 'ok'));
  assert.ok(report.find((c) => c.file.endsWith('server-ca.crt'))?.isCa);
  const soon = await checkCertificates(authConfig(dir), new Date(Date.now() + 300 * 24 * 3600 * 1000));
  assert.equal(soon.find((c) => c.file.endsWith('client-admin.crt'))?.status, 'warning');

  const { backup, removed } = await rotateLeafCertificates(authConfig(dir));
  assert.ok(removed.some((f) => f.endsWith('serving-kube-apiserver.crt')));
  assert.ok(!removed.some((f) => f.endsWith('-ca.crt') || f.endsWith('-ca.key') || f.endsWith('service.key')));
  assert.ok((await readdir(backup)).includes('client-admin.crt'));
  const second = await ensurePki(authConfig(dir), { hostAddresses: false });
  assert.equal(second.serverCaPem, first.serverCaPem);
  assert.equal(second.clientCaPem, first.clientCaPem);
  assert.notEqual(second.admin.certPem, first.admin.certPem);
  assert.notEqual(second.admin.keyPem, first.admin.keyPem, 'keys are rotated too');
  assert.match(await openssl(['verify', '-CAfile', join(dir, 'server/tls/client-ca.crt'), join(dir, 'server/tls/client-admin.crt')]), /: OK/);
});

test('a kubelet serving certificate signed by the server CA verifies for its node name and IP', async (t) => {
  const dir = tempDir(t);
  const pki = await ensurePki(authConfig(dir), { hostAddresses: false });
  const kubelet = await pki.signServingCertificate('node-b', ['node-b', '10.0.0.12', 'localhost', '127.0.0.1']);
  const file = join(dir, 'kubelet.crt');
  await import('node:fs/promises').then((fs) => fs.writeFile(file, kubelet.certPem));
  assert.match(await openssl(['verify', '-purpose', 'sslserver', '-CAfile', join(dir, 'server/tls/server-ca.crt'), file]), /: OK/);
  const text = await openssl(['x509', '-in', file, '-noout', '-ext', 'subjectAltName']);
  assert.match(text, /DNS:node-b/);
  assert.match(text, /IP Address:10\.0\.0\.12/);
});

test('the real kubectl prints our Forbidden Status exactly as it prints upstream\'s', async (t) => {
  const { bootstrapPolicy, createAuthorizer, forbiddenStatus, RbacCache } = await import('../../../src/auth/index.js');
  const dir = tempDir(t);
  const port = await freePort();
  const pki = await ensurePki(authConfig(dir, { port }), { hostAddresses: false });
  const authn = createAuthenticator(pki);
  const cache = new RbacCache();
  const policy = bootstrapPolicy();
  cache.replace('ClusterRole', policy.clusterRoles);
  cache.replace('ClusterRoleBinding', policy.clusterRoleBindings);
  const authz = createAuthorizer(cache);
  const server = createServer(pki.tlsServerOptions(), (req, res) => {
    void (async () => {
      const result = await authn.authenticate({ clientCertificate: (req.socket as TLSSocket).getPeerCertificate(), authorization: req.headers.authorization });
      if (result.kind !== 'authenticated') {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
        return;
      }
      const attributes = { user: result.user, verb: 'list', isResourceRequest: true, apiGroup: '', resource: 'pods', namespace: 'default' };
      const decision = await authz.authorize(attributes);
      if (!decision.allowed) {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify(forbiddenStatus(attributes, decision.reason)));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const { token } = authn.serviceAccountTokens.issue({ namespace: 'default', serviceAccountName: 'ci', serviceAccountUid: 'u1' });
  const cacheDir = tempDir(t);
  const args = ['--server', `https://127.0.0.1:${port}`, '--certificate-authority', join(dir, 'server/tls/server-ca.crt'), '--token', token, 'get', '--raw', '/api/v1/namespaces/default/pods'];
  const denied = await kubectl({ kubeconfig: join(dir, 'none.yaml'), cacheDir }, args);
  assert.notEqual(denied.code, 0);
  assert.equal(
    denied.stderr.trim(),
    'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:ci" cannot list resource "pods" in API group "" in the namespace "default"',
  );
  // Bind the service account to view in default and the same request succeeds.
  cache.apply('RoleBinding', 'ADDED', { metadata: { name: 'ci-view', namespace: 'default' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'default' }] });
  const allowed = await kubectl({ kubeconfig: join(dir, 'none.yaml'), cacheDir }, args);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /"kind":"PodList"/);
});

test('an aescbc-encrypted secret decrypts with the real openssl, so the stored format is plain AES-256-CBC', async (t) => {
  const { createEncryptionTransformer } = await import('../../../src/auth/index.js');
  const { randomBytes } = await import('node:crypto');
  const key = randomBytes(32);
  const transformer = createEncryptionTransformer({ kind: 'EncryptionConfiguration', resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'aescbckey', secret: key.toString('base64') }] } }] }] });
  const stored = transformer.encrypt('secrets', '/registry/secrets/a/b', Buffer.from('hello secret world'));
  const payload = stored.subarray('k8s:enc:aescbc:v1:aescbckey:'.length);
  const dir = tempDir(t);
  const file = join(dir, 'cipher.bin');
  await import('node:fs/promises').then((fs) => fs.writeFile(file, payload.subarray(16)));
  const out = await openssl(['enc', '-d', '-aes-256-cbc', '-K', key.toString('hex'), '-iv', payload.subarray(0, 16).toString('hex'), '-in', file]);
  assert.equal(out, 'hello secret world');
});
