import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authFor, registryHost } from '../../../src/agent/pods/pull-secrets.js';

test('the registry of an image reference', () => {
  assert.equal(registryHost('busybox'), 'docker.io');
  assert.equal(registryHost('library/busybox:1'), 'docker.io');
  assert.equal(registryHost('ghcr.io/org/app:1'), 'ghcr.io');
  assert.equal(registryHost('127.0.0.1:5000/app'), '127.0.0.1:5000');
  assert.equal(registryHost('localhost/app'), 'localhost');
});

test('imagePullSecrets: dockerconfigjson entries by host, auth decoded, docker.io aliases', () => {
  const config = { '.dockerconfigjson': JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw1').toString('base64') }, 'reg.example:5000': { username: 'me', password: 'pw2' } } }) };
  assert.deepEqual(authFor('busybox:1', [config]), { username: 'hub', password: 'pw1' });
  assert.deepEqual(authFor('reg.example:5000/team/app:2', [config]), { username: 'me', password: 'pw2' });
  assert.equal(authFor('quay.io/x/y', [config]), undefined);
  assert.equal(authFor('busybox', [{ '.dockerconfigjson': 'not json' }]), undefined);
});
