import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionAtLeast } from '../../../rootlesskit/index.js';

test('versionAtLeast compares release numbers, not strings', () => {
  assert.equal(versionAtLeast('1.1.0', '1.1.0'), true);
  assert.equal(versionAtLeast('1.1.1', '1.1.0'), true);
  assert.equal(versionAtLeast('2.0.0', '1.1.0'), true);
  assert.equal(versionAtLeast('1.10.0', '1.9.0'), true);
  assert.equal(versionAtLeast('1.0.1', '1.1.0'), false);
  assert.equal(versionAtLeast('0.14.6', '1.1.0'), false);
  assert.equal(versionAtLeast('1.1.0-beta.1', '1.1.0'), true);
});

test('an unknown or garbled version is never new enough', () => {
  assert.equal(versionAtLeast(undefined, '1.1.0'), false);
  assert.equal(versionAtLeast('dev', '1.1.0'), false);
});
