import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findExecutable, pathDirs } from '../../../src/preflight/index.js';
import { tempDir } from '../../helpers/index.js';

test('findExecutable finds the first executable of that name, as a shell would', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a/rootlesskit'), 'not executable', { mode: 0o644 });
  writeFileSync(join(dir, 'b/rootlesskit'), '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(findExecutable('rootlesskit', pathDirs(`${join(dir, 'a')}:${join(dir, 'b')}`)), join(dir, 'b/rootlesskit'));
  assert.equal(findExecutable('rootlesskit', pathDirs(join(dir, 'a'))), undefined);
  assert.equal(findExecutable('rootlesskit', pathDirs(undefined)), undefined);
});
