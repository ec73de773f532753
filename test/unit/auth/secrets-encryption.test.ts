import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { tempDir } from '../../helpers/index.js';
import { createEncryptionTransformer, encryptionConfigPath, ensureEncryptionConfig } from '../../../src/auth/index.js';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const config = (providers: unknown[]) => ({ kind: 'EncryptionConfiguration', apiVersion: 'apiserver.config.k8s.io/v1', resources: [{ resources: ['secrets'], providers }] });
const KEY = '/registry/secrets/default/db';
const secret = Buffer.from('{"kind":"Secret","data":{"p":"c2VjcmV0"}}');

test('aescbc values carry upstream\'s prefix and decrypt back; other resources stay plain', () => {
  const t = createEncryptionTransformer(config([{ aescbc: { keys: [{ name: 'aescbckey', secret: k1 }] } }, { identity: {} }]));
  const stored = t.encrypt('secrets', KEY, secret);
  assert.equal(stored.subarray(0, 28).toString(), 'k8s:enc:aescbc:v1:aescbckey:');
  assert.equal((stored.length - 28 - 16) % 16, 0);
  assert.ok(!stored.includes(Buffer.from('c2VjcmV0')));
  assert.deepEqual(t.decrypt('secrets', KEY, stored), { data: secret, stale: false });
  assert.equal(t.encrypts('secrets'), true);
  assert.equal(t.encrypts('configmaps'), false);
  assert.deepEqual(t.encrypt('configmaps', '/registry/configmaps/a/b', secret), secret);
});

test('aesgcm binds the value to its storage key', () => {
  const t = createEncryptionTransformer(config([{ aesgcm: { keys: [{ name: 'g', secret: k1 }] } }]));
  const stored = t.encrypt('secrets', KEY, secret);
  assert.equal(t.decrypt('secrets', KEY, stored).data.toString(), secret.toString());
  assert.throws(() => t.decrypt('secrets', '/registry/secrets/default/other', stored));
});

test('rotation: values under an older key still read, flagged stale for re-encryption', () => {
  const old = createEncryptionTransformer(config([{ aescbc: { keys: [{ name: 'k1', secret: k1 }] } }]));
  const stored = old.encrypt('secrets', KEY, secret);
  const rotated = createEncryptionTransformer(config([{ aescbc: { keys: [{ name: 'k2', secret: k2 }, { name: 'k1', secret: k1 }] } }, { identity: {} }]));
  assert.deepEqual(rotated.decrypt('secrets', KEY, stored), { data: secret, stale: true });
  assert.deepEqual(rotated.decrypt('secrets', KEY, secret), { data: secret, stale: true }, 'plaintext from before encryption was enabled');
  const other = createEncryptionTransformer(config([{ aescbc: { keys: [{ name: 'k9', secret: k2 }] } }]));
  assert.throws(() => other.decrypt('secrets', KEY, stored), /encrypted with a key this server does not have \(k8s:enc:aescbc:v1:k1\)/);
});

test('unsupported providers and bad keys are refused when the configuration is loaded', () => {
  assert.throws(() => createEncryptionTransformer(config([{ secretbox: { keys: [{ name: 'a', secret: k1 }] } }])), /secretbox is not supported/);
  assert.throws(() => createEncryptionTransformer(config([{ aescbc: { keys: [{ name: 'a', secret: 'c2hvcnQ=' }] } }])), /must be 16, 24 or 32 bytes/);
});

test('k3s --secrets-encryption configuration is created once, 0600, under server/cred', async (t) => {
  const dir = tempDir(t);
  const first = await ensureEncryptionConfig({ dataDir: dir });
  assert.equal(await ensureEncryptionConfig({ dataDir: dir }), first);
  const path = encryptionConfigPath({ dataDir: dir });
  assert.equal(path, `${dir}/server/cred/encryption-config.json`);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const doc = JSON.parse(await readFile(path, 'utf8'));
  assert.equal(doc.resources[0].providers[0].aescbc.keys[0].name, 'aescbckey');
  assert.deepEqual(doc.resources[0].providers[1], { identity: {} });
  const transformer = createEncryptionTransformer(first);
  assert.equal(transformer.decrypt('secrets', KEY, transformer.encrypt('secrets', KEY, secret)).data.toString(), secret.toString());
});
