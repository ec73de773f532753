// Runs node's built-in test runner once over the compiled tests of the chosen tiers
// (unit, integration, e2e; all three when none is named), so CI reads a single summary.
// TEST_ONLY=<substring> narrows the files, e.g. TEST_ONLY=datastore npm run test:unit.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const OUT = process.env.BUILD_DIR ?? 'dist';
const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e'];
const only = process.env.TEST_ONLY ?? '';
function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js') && path.includes(only)) out.push(path);
  }
  return out;
}
const files = tiers.flatMap((t) => collect(join(OUT, 'test', t), []));
if (files.length === 0) {
  console.error(`no test files found for tiers ${tiers.join(', ')}${only ? ` matching "${only}"` : ''}`);
  process.exit(1);
}
// As root, have `ip netns` turn /run/netns into its own shared mount before any test starts a
// containerd: on a fresh machine the first `ip netns add` (a test's node namespace) bind-mounts
// /run/netns over itself, and a pod network namespace containerd had mounted there before is
// hidden under that bind: nothing can remove it any more (umount: EINVAL, unlink: EBUSY).
if (process.getuid?.() === 0) {
  const probe = `k3s-tests-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', probe]).status === 0) spawnSync('ip', ['netns', 'delete', probe]);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
