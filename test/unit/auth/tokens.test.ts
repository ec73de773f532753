import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/index.js';
import { ensurePki, ensureTokens, formatToken, hashCa, parseToken, verifyServerTokenBasicAuth } from '../../../src/auth/index.js';
import { Secret } from '../../../src/config/secret.js';
import { createHash } from 'node:crypto';
import { authConfig } from './fixture.js';

test('a K10 token parses into CA hash, user and password', () => {
  const hash = 'a'.repeat(64);
  assert.deepEqual(parseToken(`K10${hash}::server:s3cret`), { caHash: hash, username: 'server', password: 's3cret' });
});

test('a bare secret is a password with no CA hash, colons and all', () => {
  assert.deepEqual(parseToken('mysecret'), { caHash: '', username: '', password: 'mysecret' });
  assert.deepEqual(parseToken('server:abc'), { caHash: '', username: '', password: 'server:abc' });
});

test('a bootstrap token is recognised as one', () => {
  const parsed = parseToken('abcdef.0123456789abcdef');
  assert.deepEqual(parsed.bootstrapToken, { id: 'abcdef', secret: '0123456789abcdef' });
});

test('malformed tokens are rejected with a clear message', () => {
  assert.throws(() => parseToken(''), /must not be empty/);
  assert.throws(() => parseToken('K10abc::server:x'), /CA hash length/);
  assert.throws(() => parseToken(`K10${'a'.repeat(64)}::nopassword`), /invalid token format/);
});

test('the CA hash is the SHA-256 of the CA file bytes', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  assert.equal(hashCa(pem), createHash('sha256').update(pem).digest('hex'));
  assert.equal(formatToken(pem, 'server', 'pw'), `K10${hashCa(pem)}::server:pw`);
});

test('first start generates a token, writes it 0600 with node-token linked to it, and restarts reuse it', async (t) => {
  const dir = tempDir(t);
  const config = authConfig(dir);
  const pki = await ensurePki(config, { hostAddresses: false });
  const first = await ensureTokens(config, pki.serverCaPem);
  const caHash = createHash('sha256').update(await readFile(join(dir, 'server/tls/server-ca.crt'))).digest('hex');
  assert.match(first.token.reveal(), new RegExp(`^K10${caHash}::server:[0-9a-f]{32}$`));
  const tokenFile = join(dir, 'server/token');
  assert.equal(await readFile(tokenFile, 'utf8'), first.token.reveal() + '\n');
  assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
  assert.ok((await lstat(join(dir, 'server/node-token'))).isSymbolicLink());
  assert.equal(await readlink(join(dir, 'server/node-token')), 'token');
  assert.equal(await readFile(join(dir, 'server/node-token'), 'utf8'), first.token.reveal() + '\n');
  const second = await ensureTokens(config, pki.serverCaPem);
  assert.equal(second.token.reveal(), first.token.reveal());
});

test('--token with a plain secret becomes the password of the K10 token', async (t) => {
  const dir = tempDir(t);
  const config = authConfig(dir, { token: 'supersecret' });
  const pki = await ensurePki(config, { hostAddresses: false });
  const tokens = await ensureTokens(config, pki.serverCaPem);
  assert.equal(tokens.token.reveal(), `K10${hashCa(pki.serverCaPem)}::server:supersecret`);
  assert.equal(tokens.password.reveal(), 'supersecret');
  // A restart without --token keeps the same secret.
  const again = await ensureTokens(authConfig(dir), pki.serverCaPem);
  assert.equal(again.password.reveal(), 'supersecret');
});

test('--token as a full K10 token is accepted when its CA hash matches, refused when it does not', async (t) => {
  const dir = tempDir(t);
  const pki = await ensurePki(authConfig(dir), { hostAddresses: false });
  const good = `K10${hashCa(pki.serverCaPem)}::server:abc123`;
  const tokens = await ensureTokens(authConfig(dir, { token: good }), pki.serverCaPem);
  assert.equal(tokens.password.reveal(), 'abc123');
  const other = `K10${'0'.repeat(64)}::server:abc123`;
  await assert.rejects(ensureTokens(authConfig(dir, { token: other }), pki.serverCaPem), /CA hash does not match.*another cluster/);
});

test('a --token that differs from the stored one is refused rather than silently replacing it', async (t) => {
  const dir = tempDir(t);
  const pki = await ensurePki(authConfig(dir), { hostAddresses: false });
  await ensureTokens(authConfig(dir, { token: 'one' }), pki.serverCaPem);
  await assert.rejects(ensureTokens(authConfig(dir, { token: 'two' }), pki.serverCaPem), /differs from the token this server was created with/);
});

test('supervisor basic auth accepts server/node with the secret and nothing else', () => {
  const pw = new Secret('pw1');
  const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.deepEqual(verifyServerTokenBasicAuth(basic('node:pw1'), pw), { username: 'node' });
  assert.deepEqual(verifyServerTokenBasicAuth(basic('server:pw1'), pw), { username: 'server' });
  assert.equal(verifyServerTokenBasicAuth(basic('server:pw2'), pw), undefined);
  assert.equal(verifyServerTokenBasicAuth(basic('admin:pw1'), pw), undefined);
  assert.equal(verifyServerTokenBasicAuth('Bearer pw1', pw), undefined);
});

test('an agent checks the downloaded CA against the node-token, and refuses a different CA', async () => {
  const { joinCredentials } = await import('../../../src/auth/index.js');
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const token = formatToken(ca, 'server', 'pw');
  const creds = joinCredentials(token, ca);
  assert.equal(creds.username, 'server');
  assert.equal(creds.password.reveal(), 'pw');
  assert.equal(creds.caVerified, true);
  assert.equal(creds.warning, undefined);
  assert.throws(() => joinCredentials(token, ca.replace('MIIB', 'MIIC')), /token CA hash does not match/);
  const bare = joinCredentials('pw', ca);
  assert.equal(bare.username, 'node');
  assert.equal(bare.caVerified, false);
  assert.match(bare.warning ?? '', /does not include a CA hash/);
});
