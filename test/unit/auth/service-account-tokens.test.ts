import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { ServiceAccountTokens } from '../../../src/auth/index.js';
import type { KubeObject } from '../../../src/api/types.js';

const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const T0 = new Date('2026-01-01T00:00:00Z');

function tokens(now = T0, extra: { publicKeys?: ReturnType<typeof createPublicKey>[] } = {}): ServiceAccountTokens {
  return new ServiceAccountTokens({ signingKey: key, publicKeys: extra.publicKeys ?? [createPublicKey(key)], now: () => now });
}

function decode(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, c] = token.split('.');
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), claims: JSON.parse(Buffer.from(c!, 'base64url').toString()) };
}

test('a TokenRequest token carries the claims upstream puts, signed ES256 with a key id', () => {
  const issued = tokens().issue({
    namespace: 'default',
    serviceAccountName: 'default',
    serviceAccountUid: 'sa-uid',
    boundObject: { kind: 'Pod', name: 'web-1', uid: 'pod-uid' },
  });
  const { header, claims } = decode(issued.token);
  assert.equal(header.alg, 'ES256');
  assert.match(String(header.kid), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local', 'k3s']);
  assert.equal(claims.sub, 'system:serviceaccount:default:default');
  assert.equal(claims.iat, T0.getTime() / 1000);
  assert.equal(claims.nbf, T0.getTime() / 1000);
  assert.equal(claims.exp, T0.getTime() / 1000 + 3600);
  assert.deepEqual(claims['kubernetes.io'], {
    namespace: 'default',
    serviceaccount: { name: 'default', uid: 'sa-uid' },
    pod: { name: 'web-1', uid: 'pod-uid' },
  });
  assert.equal(issued.expirationTimestamp.getTime(), T0.getTime() + 3600_000);
});

test('expirationSeconds below 600 is refused', () => {
  assert.throws(() => tokens().issue({ namespace: 'a', serviceAccountName: 'b', serviceAccountUid: 'c', expirationSeconds: 10 }), /less than 600 seconds/);
});

test('a token verifies until it expires (with a minute of leeway), then fails', async () => {
  const { token } = tokens().issue({ namespace: 'a', serviceAccountName: 'b', serviceAccountUid: 'c', expirationSeconds: 600 });
  assert.equal((await tokens(new Date(T0.getTime() + 600_000)).verify(token, undefined)).ok, true);
  assert.equal((await tokens(new Date(T0.getTime() + 659_000)).verify(token, undefined)).ok, true);
  const late = await tokens(new Date(T0.getTime() + 661_000)).verify(token, undefined);
  assert.deepEqual(late, { ok: false, recognized: true, reason: 'token has expired' });
});

test('a tampered token or one signed by another key is rejected', async () => {
  const { token } = tokens().issue({ namespace: 'a', serviceAccountName: 'b', serviceAccountUid: 'c' });
  const [h, c, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(c!, 'base64url').toString());
  claims.sub = 'system:serviceaccount:kube-system:admin';
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  assert.deepEqual(await tokens().verify(forged, undefined), { ok: false, recognized: true, reason: 'invalid signature' });
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const result = await tokens(T0, { publicKeys: [createPublicKey(otherKey)] }).verify(token, undefined);
  assert.equal(result.ok, false);
});

test('an alg=none token is never accepted', async () => {
  const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
  const claims = Buffer.from(JSON.stringify({ iss: 'https://kubernetes.default.svc.cluster.local', sub: 'x', exp: 2e9 })).toString('base64url');
  const result = await tokens().verify(`${header}.${claims}.AAAA`, undefined);
  assert.equal(result.ok, false);
});

test('a token for another audience is not accepted by the API server', async () => {
  const { token } = tokens().issue({ namespace: 'a', serviceAccountName: 'b', serviceAccountUid: 'c', audiences: ['vault'] });
  const result = await tokens().verify(token, undefined);
  assert.deepEqual(result, { ok: false, recognized: true, reason: 'token audiences are not accepted by this server' });
  assert.equal((await tokens().verify(token, undefined, ['vault'])).ok, true);
});

test('a JWT from another issuer is "not ours", so other authenticators may try it', async () => {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256' })).toString('base64url');
  const claims = Buffer.from(JSON.stringify({ iss: 'https://accounts.example.com' })).toString('base64url');
  const result = await tokens().verify(`${header}.${claims}.AAAA`, undefined);
  assert.equal(result.ok === false && result.recognized, false);
});

test('a pod-bound token dies with its pod', async () => {
  const sa: KubeObject = { kind: 'ServiceAccount', metadata: { namespace: 'ns', name: 'sa', uid: 'sa-uid' } };
  const pod: KubeObject = { kind: 'Pod', metadata: { namespace: 'ns', name: 'p', uid: 'pod-uid' } };
  const objects = [sa, pod];
  const lookup = async (ref: { kind: string; namespace?: string; name: string }): Promise<KubeObject | undefined> =>
    objects.find((o) => o.kind === ref.kind && o.metadata?.name === ref.name && o.metadata?.namespace === ref.namespace);
  const { token } = tokens().issue({ namespace: 'ns', serviceAccountName: 'sa', serviceAccountUid: 'sa-uid', boundObject: { kind: 'Pod', name: 'p', uid: 'pod-uid' } });
  const ok = await tokens().verify(token, lookup);
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.ok && ok.user.extra?.['authentication.kubernetes.io/pod-name'], ['p']);
  objects.pop();
  const gone = await tokens().verify(token, lookup);
  assert.deepEqual(gone, { ok: false, recognized: true, reason: 'Pod ns/p no longer exists' });
});

test('a legacy secret token is valid only while the secret holds that same token', async () => {
  const t = tokens();
  const token = t.issueLegacy({ namespace: 'ns', serviceAccountName: 'sa', serviceAccountUid: 'sa-uid', secretName: 'sa-token' });
  const { claims } = decode(token);
  assert.equal(claims.iss, 'kubernetes/serviceaccount');
  assert.equal(claims['kubernetes.io/serviceaccount/secret.name'], 'sa-token');
  assert.equal(claims.exp, undefined);
  const secret: KubeObject = { kind: 'Secret', metadata: { namespace: 'ns', name: 'sa-token', uid: 's' }, data: { token: Buffer.from(token).toString('base64') } };
  const sa: KubeObject = { kind: 'ServiceAccount', metadata: { namespace: 'ns', name: 'sa', uid: 'sa-uid' } };
  const objects = [sa, secret];
  const lookup = async (ref: { kind: string; namespace?: string; name: string }): Promise<KubeObject | undefined> =>
    objects.find((o) => o.kind === ref.kind && o.metadata?.name === ref.name && o.metadata?.namespace === ref.namespace);
  const ok = await t.verify(token, lookup);
  assert.equal(ok.ok && ok.user.username, 'system:serviceaccount:ns:sa');
  secret.data = { token: Buffer.from('other').toString('base64') };
  const mismatch = await t.verify(token, lookup);
  assert.equal(mismatch.ok, false);
});

test('an RSA service.key signs RS256 tokens that verify', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const t = new ServiceAccountTokens({ signingKey: rsa, publicKeys: [createPublicKey(rsa)], now: () => T0 });
  const { token } = t.issue({ namespace: 'a', serviceAccountName: 'b', serviceAccountUid: 'c' });
  assert.equal(decode(token).header.alg, 'RS256');
  assert.equal((await t.verify(token, undefined)).ok, true);
});

test('the JWKS publishes the verification key so a token can be checked with it alone', async () => {
  const { jwks, openIdConfiguration } = await import('../../../src/auth/index.js');
  const set = jwks([createPublicKey(key)]);
  assert.equal(set.keys.length, 1);
  const jwk = set.keys[0]!;
  assert.equal(jwk.kty, 'EC');
  assert.equal(jwk.crv, 'P-256');
  assert.equal(jwk.alg, 'ES256');
  assert.equal(jwk.use, 'sig');
  assert.equal(jwk.d, undefined, 'no private part');
  const { token } = tokens().issue({ namespace: 'a', serviceAccountName: 'b', serviceAccountUid: 'c' });
  assert.equal(decode(token).header.kid, jwk.kid);
  const fromJwk = createPublicKey({ key: jwk as never, format: 'jwk' });
  assert.equal((await tokens(T0, { publicKeys: [fromJwk] }).verify(token, undefined)).ok, true);
  const config = openIdConfiguration('https://kubernetes.default.svc.cluster.local', 'https://127.0.0.1:6443/openid/v1/jwks', [createPublicKey(key)]);
  assert.deepEqual(config.id_token_signing_alg_values_supported, ['ES256']);
});
