import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Expectations } from '../../../src/controllers/expectations.js';

test('expectations hold a key until creations and deletions are observed, failed ones are dropped, and they lapse', () => {
  let now = 0;
  const e = new Expectations(1000, () => now);
  assert.equal(e.satisfied('ns/a'), true);
  e.expect('ns/a', 3);
  e.creationObserved('ns/a');
  e.creationsFailed('ns/a', 1);
  assert.equal(e.satisfied('ns/a'), false);
  e.creationObserved('ns/a');
  assert.equal(e.satisfied('ns/a'), true);

  e.raise('ns/a', 0, ['uid-1', 'uid-2']);
  e.raise('ns/a', 1);
  e.deletionObserved('ns/a', 'uid-1');
  e.deletionObserved('ns/a', 'uid-2');
  assert.equal(e.satisfied('ns/a'), false, 'one creation still outstanding');
  now = 1001;
  assert.equal(e.satisfied('ns/a'), true, 'lapsed');
  e.raise('ns/a', 1);
  assert.equal(e.satisfied('ns/a'), false, 'a lapsed expectation starts afresh');
  e.forget('ns/a');
  assert.equal(e.satisfied('ns/a'), true);
});
