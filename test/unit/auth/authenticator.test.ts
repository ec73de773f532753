import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { tempDir } from '../../helpers/index.js';
import { createAuthenticator, ensurePki, type Pki } from '../../../src/auth/index.js';
import type { KubeObject } from '../../../src/api/types.js';
import { authConfig } from './fixture.js';

function der(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

async function pkiIn(t: Parameters<typeof tempDir>[0]): Promise<Pki> {
  return ensurePki(authConfig(tempDir(t)), { hostAddresses: false });
}

test('the admin client certificate authenticates as system:admin in system:masters', async (t) => {
  const pki = await pkiIn(t);
  const authn = createAuthenticator(pki);
  const result = await authn.authenticate({ clientCertificate: der(pki.admin.certPem) });
  assert.deepEqual(result, {
    kind: 'authenticated',
    method: 'x509',
    user: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] },
  });
});

test('getPeerCertificate() output is accepted as is, and an empty one means no certificate', async (t) => {
  const pki = await pkiIn(t);
  const authn = createAuthenticator(pki);
  const ok = await authn.authenticate({ clientCertificate: { raw: der(pki.admin.certPem) } });
  assert.equal(ok.kind, 'authenticated');
  const none = await authn.authenticate({ clientCertificate: {} });
  assert.equal(none.kind, 'anonymous');
  assert.equal(none.kind === 'anonymous' && none.user.username, 'system:anonymous');
});

test('a certificate from another cluster is rejected, not treated as anonymous', async (t) => {
  const [ours, theirs] = await Promise.all([pkiIn(t), pkiIn(t)]);
  const result = await createAuthenticator(ours).authenticate({ clientCertificate: der(theirs.admin.certPem) });
  assert.equal(result.kind, 'error');
  assert.match(result.kind === 'error' ? result.reason : '', /not signed by the client CA/);
});

test('a serving (server-auth only) certificate cannot be used as a client certificate', async (t) => {
  const pki = await pkiIn(t);
  // The serving cert is signed by the server CA; sign a server-only cert with the client CA too.
  const result = await createAuthenticator({ ...pki, clientCaPem: pki.serverCaPem }).authenticate({ clientCertificate: der(pki.serving.certPem) });
  assert.equal(result.kind, 'error');
  assert.match(result.kind === 'error' ? result.reason : '', /client authentication/);
});

test('an expired client certificate is rejected', async (t) => {
  const pki = await pkiIn(t);
  const later = new Date(Date.now() + 400 * 24 * 3600 * 1000);
  const result = await createAuthenticator(pki, { now: () => later }).authenticate({ clientCertificate: der(pki.admin.certPem) });
  assert.equal(result.kind, 'error');
  assert.match(result.kind === 'error' ? result.reason : '', /expired/);
});

test('a certificate signed on demand for a kubelet carries its CN and groups', async (t) => {
  const pki = await pkiIn(t);
  const kubelet = await pki.signClientCertificate('system:node:node-a', ['system:nodes']);
  const result = await createAuthenticator(pki).authenticate({ clientCertificate: der(kubelet.certPem) });
  assert.deepEqual(result.kind === 'authenticated' && result.user, { username: 'system:node:node-a', groups: ['system:nodes', 'system:authenticated'] });
});

function serviceAccountStore(objects: KubeObject[]) {
  return async (ref: { kind: string; namespace?: string; name: string }): Promise<KubeObject | undefined> =>
    objects.find((o) => o.kind === ref.kind && o.metadata?.name === ref.name && o.metadata?.namespace === ref.namespace);
}

test('a bearer service-account token authenticates as the service account while it exists', async (t) => {
  const pki = await pkiIn(t);
  const sa: KubeObject = { kind: 'ServiceAccount', metadata: { namespace: 'demo', name: 'builder', uid: 'uid-1' } };
  const objects = [sa];
  const authn = createAuthenticator(pki, { lookup: serviceAccountStore(objects) });
  const { token } = authn.serviceAccountTokens.issue({ namespace: 'demo', serviceAccountName: 'builder', serviceAccountUid: 'uid-1' });
  const result = await authn.authenticate({ authorization: `Bearer ${token}` });
  assert.equal(result.kind, 'authenticated');
  if (result.kind !== 'authenticated') return;
  assert.equal(result.method, 'serviceaccount');
  assert.equal(result.user.username, 'system:serviceaccount:demo:builder');
  assert.equal(result.user.uid, 'uid-1');
  assert.deepEqual(result.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:demo', 'system:authenticated']);
  assert.match(result.user.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '', /^JTI=[0-9a-f-]{36}$/);

  objects.pop();
  const gone = await authn.authenticate({ authorization: `Bearer ${token}` });
  assert.equal(gone.kind, 'error');
  assert.match(gone.kind === 'error' ? gone.reason : '', /ServiceAccount demo\/builder no longer exists/);

  objects.push({ kind: 'ServiceAccount', metadata: { namespace: 'demo', name: 'builder', uid: 'uid-2' } });
  const recreated = await authn.authenticate({ authorization: `Bearer ${token}` });
  assert.equal(recreated.kind, 'error');
});

test('an unknown or garbage bearer token is an error (401), not anonymous', async (t) => {
  const authn = createAuthenticator(await pkiIn(t));
  for (const header of ['Bearer nonsense', 'Bearer a.b.c', 'bearer eyJhbGciOiJub25lIn0.e30.']) {
    const result = await authn.authenticate({ authorization: header });
    assert.equal(result.kind, 'error', header);
  }
});

test('a non-bearer Authorization header is not a credential', async (t) => {
  const authn = createAuthenticator(await pkiIn(t));
  const result = await authn.authenticate({ authorization: 'Basic dXNlcjpwYXNz' });
  assert.equal(result.kind, 'anonymous');
});

test('a valid bearer token wins over an invalid client certificate, as upstream unions them', async (t) => {
  const [ours, theirs] = await Promise.all([pkiIn(t), pkiIn(t)]);
  const authn = createAuthenticator(ours);
  const { token } = authn.serviceAccountTokens.issue({ namespace: 'a', serviceAccountName: 'b', serviceAccountUid: 'u' });
  const result = await authn.authenticate({ clientCertificate: der(theirs.admin.certPem), authorization: `Bearer ${token}` });
  assert.equal(result.kind, 'authenticated');
});

test('extra token authenticators are tried after service-account tokens', async (t) => {
  const authn = createAuthenticator(await pkiIn(t), {
    tokenAuthenticators: [async (token) => (token === 'abcdef.0123456789abcdef' ? { ok: true, user: { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] } } : undefined)],
  });
  const result = await authn.authenticate({ authorization: 'Bearer abcdef.0123456789abcdef' });
  assert.deepEqual(result.kind === 'authenticated' && result.user.groups, ['system:bootstrappers', 'system:authenticated']);
});

test('a front proxy with the request-header CA certificate may assert the user in X-Remote-* headers', async (t) => {
  const pki = await pkiIn(t);
  const { readFile } = await import('node:fs/promises');
  const proxyCert = await readFile(pki.paths.clientAuthProxy, 'utf8');
  const authn = createAuthenticator(pki);
  const headers = { 'x-remote-user': 'jane', 'x-remote-group': ['devs', 'ops'], 'x-remote-extra-scopes': 'a,b' };
  const result = await authn.authenticate({ clientCertificate: der(proxyCert), headers });
  assert.deepEqual(result, {
    kind: 'authenticated',
    method: 'requestheader',
    user: { username: 'jane', groups: ['devs', 'ops', 'system:authenticated'], extra: { scopes: ['a', 'b'] } },
  });
  // The same headers with an ordinary client certificate are ignored: the cert's own identity wins.
  const admin = await authn.authenticate({ clientCertificate: der(pki.admin.certPem), headers });
  assert.equal(admin.kind === 'authenticated' && admin.user.username, 'system:admin');
});
