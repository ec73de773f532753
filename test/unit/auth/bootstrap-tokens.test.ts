import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapTokenAuthenticator } from '../../../src/auth/index.js';
import type { KubeObject } from '../../../src/api/types.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function secret(data: Record<string, string>, type = 'bootstrap.kubernetes.io/token'): KubeObject {
  return { kind: 'Secret', type, metadata: { namespace: 'kube-system', name: 'bootstrap-token-abcdef', uid: 'u' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) };
}

function auth(object: KubeObject | undefined, now = new Date('2026-01-01T00:00:00Z')) {
  return bootstrapTokenAuthenticator(async (ref) => (ref.namespace === 'kube-system' && ref.name === 'bootstrap-token-abcdef' ? object : undefined), () => now);
}

const good = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:k3s:default-node-token' };

test('a bootstrap token authenticates as system:bootstrap:<id> with its extra groups', async () => {
  assert.deepEqual(await auth(secret(good))('abcdef.0123456789abcdef'), {
    ok: true,
    user: { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:k3s:default-node-token'] },
  });
});

test('something that is not a bootstrap token is left to other authenticators', async () => {
  assert.equal(await auth(secret(good))('not-a-bootstrap-token'), undefined);
});

test('wrong secret, expired, unmarked, wrong type or missing secret all fail', async () => {
  const token = 'abcdef.0123456789abcdef';
  assert.equal((await auth(secret({ ...good, 'token-secret': 'ffffffffffffffff' }))(token))?.ok, false);
  assert.equal((await auth(secret({ ...good, expiration: '2025-12-31T00:00:00Z' }))(token))?.ok, false);
  assert.equal((await auth(secret({ ...good, expiration: '2026-12-31T00:00:00Z' }))(token))?.ok, true);
  assert.equal((await auth(secret({ ...good, 'usage-bootstrap-authentication': 'false' }))(token))?.ok, false);
  assert.equal((await auth(secret(good, 'Opaque'))(token))?.ok, false);
  assert.equal((await auth(undefined)(token))?.ok, false);
  assert.equal((await auth(secret({ ...good, 'auth-extra-groups': 'system:masters' }))(token))?.ok, false);
});

test('a generated token and its secret authenticate together until the TTL passes', async () => {
  const { bootstrapTokenSecret, generateBootstrapToken } = await import('../../../src/auth/index.js');
  const { id, secret: tokenSecret, token } = generateBootstrapToken();
  assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  const now = new Date('2026-01-01T00:00:00Z');
  const object = bootstrapTokenSecret({ id, secret: tokenSecret, ttlSeconds: 3600, now });
  assert.equal(object.metadata?.name, `bootstrap-token-${id}`);
  assert.equal(Buffer.from(String((object.data as Record<string, string>).expiration), 'base64').toString(), '2026-01-01T01:00:00Z');
  const lookup = async (ref: { name: string }) => (ref.name === `bootstrap-token-${id}` ? object : undefined);
  const ok = await bootstrapTokenAuthenticator(lookup, () => now)(token);
  assert.deepEqual(ok, { ok: true, user: { username: `system:bootstrap:${id}`, groups: ['system:bootstrappers', 'system:bootstrappers:k3s:default-node-token'] } });
  const late = await bootstrapTokenAuthenticator(lookup, () => new Date('2026-01-01T01:00:01Z'))(token);
  assert.equal(late?.ok, false);
});
