import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GIT_VERSION, gitCommit } from '../../src/version.js';
import { BUILD_ROOT, k3s, tempDir } from '../helpers/index.js';

const HASH = '0123456789abcdef0123456789abcdef01234567';

function tree(t: { after(fn: () => unknown): void }, files: Record<string, string>): string {
  const root = tempDir(t);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('the commit comes from a loose ref, packed-refs, a detached HEAD, or a worktree\'s gitdir', (t) => {
  const loose = tree(t, { '.git/HEAD': 'ref: refs/heads/main\n', [`.git/refs/heads/main`]: `${HASH}\n`, 'dist/src/version.js': '' });
  assert.equal(gitCommit(join(loose, 'dist/src/version.js')), '01234567');
  const packed = tree(t, { '.git/HEAD': 'ref: refs/heads/main\n', '.git/packed-refs': `# pack-refs with: peeled\n${HASH} refs/heads/main\n` });
  assert.equal(gitCommit(join(packed, 'x.js')), '01234567');
  const detached = tree(t, { '.git/HEAD': `${HASH.replace('0', 'f')}\n` });
  assert.equal(gitCommit(join(detached, 'x.js')), 'f1234567');
  const worktree = tree(t, {
    'main/.git/HEAD': 'ref: refs/heads/main\n',
    'main/.git/worktrees/wt/HEAD': 'ref: refs/heads/feature\n',
    'main/.git/worktrees/wt/commondir': '../..\n',
    'main/.git/refs/heads/feature': `${HASH}\n`,
    'wt/.git': 'gitdir: ../main/.git/worktrees/wt\n',
  });
  assert.equal(gitCommit(join(worktree, 'wt/dist/x.js')), '01234567');
});

test('a GIT_COMMIT file stamped into an installed build wins; with nothing to go by it is "unknown"', (t) => {
  const installed = tree(t, { 'lib/k3s/GIT_COMMIT': `${HASH}\n` });
  assert.equal(gitCommit(join(installed, 'lib/k3s/src/cli/main.js')), '01234567');
  const bare = tree(t, { 'lib/k3s/src/version.js': '' });
  // tempdirs live under /tmp, outside any checkout.
  assert.equal(gitCommit(join(bare, 'lib/k3s/src/version.js')), 'unknown');
});

test('k3s --version prints the k3s version with this checkout\'s commit, then the node version', async () => {
  const result = await k3s(['--version']);
  assert.equal(result.code, 0);
  let head = 'unknown';
  try {
    head = execFileSync('git', ['-C', BUILD_ROOT, 'rev-parse', '--short=8', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a checkout, or no git: the CLI says unknown too
  }
  assert.equal(result.stdout, `k3s version ${GIT_VERSION} (${head})\nnode version ${process.version}\n`);
  assert.match(GIT_VERSION, /^v1\.32\.0\+k3s-ts\.\d+\.\d+\.\d+$/);
});
