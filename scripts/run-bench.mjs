// Runs the compiled benchmarks under test/bench one after another (never in parallel: they
// measure the machine). `npm run bench -- etcd-face` runs only benchmarks whose name contains it.
// Their shared parts live in test/bench/lib/ and are not run.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const OUT = process.env.BUILD_DIR ?? 'dist';
const dir = join(OUT, 'test', 'bench');
const wanted = process.argv.slice(2);
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.js') && (wanted.length === 0 || wanted.some((w) => f.includes(w))))
      .sort()
  : [];
if (files.length === 0) {
  console.error(`no benchmarks in ${dir}${wanted.length ? ` matching ${wanted.join(', ')}` : ''}`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, [join(dir, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
