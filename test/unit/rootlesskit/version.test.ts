import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cachedRootlessKitVersion, versionAtLeast } from '../../../rootlesskit/index.js';
import { tempDir } from '../../helpers/index.js';

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

test('cachedRootlessKitVersion runs the binary once, and again only when the binary changes', async (t) => {
  const dir = tempDir(t);
  const binary = join(dir, 'rootlesskit');
  const calls = join(dir, 'calls');
  const fake = (version: string): void => writeFileSync(binary, `#!/bin/sh\necho run >> ${calls}\necho "rootlesskit version ${version}"\n`, { mode: 0o755 });
  const runs = (): number => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean).length : 0);
  const cache = join(dir, 'rootlesskit-version');
  fake('1.1.0');
  assert.equal(await cachedRootlessKitVersion(binary, cache), '1.1.0');
  assert.equal(await cachedRootlessKitVersion(binary, cache), '1.1.0');
  assert.equal(runs(), 1, 'the second start reads the cache');
  // An upgrade replaces the file (new inode, size or mtime): the cache no longer matches.
  rmSync(binary);
  fake('2.3.10');
  assert.equal(await cachedRootlessKitVersion(binary, cache), '2.3.10');
  assert.equal(runs(), 2);
});

test('cachedRootlessKitVersion answers undefined for a binary that does not say its version, and caches nothing', async (t) => {
  const dir = tempDir(t);
  const binary = join(dir, 'rootlesskit');
  writeFileSync(binary, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  const cache = join(dir, 'rootlesskit-version');
  assert.equal(await cachedRootlessKitVersion(binary, cache), undefined);
  assert.equal(existsSync(cache), false);
  assert.equal(await cachedRootlessKitVersion(join(dir, 'missing'), cache), undefined);
});
