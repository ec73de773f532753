import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNodePassword, hashNodePassword, nodePasswordSecret, nodePasswordSecretName, verifyNodePassword } from '../../../src/auth/index.js';
import type { KubeObject } from '../../../src/api/types.js';

test('a node password hash has upstream\'s scrypt format and verifies only the same password', async () => {
  const hash = await hashNodePassword('f00d');
  assert.match(hash, /^\$1:[0-9a-f]{16}:15:8:1:[A-Za-z0-9+/]{86}$/);
  assert.equal(await verifyNodePassword(hash, 'f00d'), true);
  assert.equal(await verifyNodePassword(hash, 'f00e'), false);
  assert.equal(await verifyNodePassword('garbage', 'f00d'), false);
});

test('first join stores the hash; the same node name with another password is refused', async () => {
  assert.equal(nodePasswordSecretName('Worker-1'), 'worker-1.node-password.k3s');
  const store: KubeObject[] = [];
  const lookup = async (ref: { namespace?: string; name: string }) => store.find((o) => o.metadata?.name === ref.name && o.metadata?.namespace === ref.namespace);
  assert.equal(await checkNodePassword(lookup, 'worker-1', 'pw-a'), 'missing');
  const secret = await nodePasswordSecret('worker-1', 'pw-a');
  assert.equal(secret.immutable, true);
  store.push(secret);
  assert.equal(await checkNodePassword(lookup, 'worker-1', 'pw-a'), 'match');
  assert.equal(await checkNodePassword(lookup, 'worker-1', 'pw-b'), 'mismatch');
});
