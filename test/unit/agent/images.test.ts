import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ociLayoutTar } from '../../../src/agent/images/oci-layout.js';
import { tarArchive } from '../../../src/agent/images/tar.js';

test('tar archives list and extract with the system tar (files, dirs, symlinks, long paths)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'k3s-tar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/file`;
  const archive = tarArchive([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/hello', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
    { type: 'symlink', path: 'bin/hi', target: '/bin/hello' },
    { type: 'file', path: long, data: Buffer.alloc(1000, 1) },
  ]);
  writeFileSync(join(dir, 'a.tar'), archive);
  const listing = execFileSync('tar', ['-tvf', join(dir, 'a.tar')], { encoding: 'utf8' });
  assert.match(listing, /-rwxr-xr-x root\/root\s+18 .* bin\/hello/);
  assert.match(listing, /bin\/hi -> \/bin\/hello/);
  execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
  assert.ok(existsSync(join(dir, long)));
});

test('OCI layout: deterministic bytes, names in index.json annotations, config diff_id of the layer', () => {
  const layer = tarArchive([{ type: 'file', path: 'x', data: Buffer.from('x') }]);
  const a = ociLayoutTar({ names: ['docker.io/library/demo:1'], layer, cmd: ['sh'], architecture: 'amd64' });
  const b = ociLayoutTar({ names: ['docker.io/library/demo:1'], layer, cmd: ['sh'], architecture: 'amd64' });
  assert.deepEqual(a, b, 'same input, same digests: re-imports are no-ops');
  const text = a.toString('latin1');
  assert.match(text, /"io\.containerd\.image\.name":"docker\.io\/library\/demo:1"/);
  assert.match(text, /"imageLayoutVersion":"1\.0\.0"/);
});
