import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FLAGS, ROOTLESS_ENV, userDefaults, type FlagSpec } from '../../../src/config/index.js';

/** The checkout: the nearest ancestor of this compiled test holding the generator script. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'scripts/gen-config-docs.mjs'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the checkout (scripts/gen-config-docs.mjs) above this test');
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const REGENERATE = 'run "npm run build && node scripts/gen-config-docs.mjs" and commit docs/configuration.md';

interface Generator {
  renderConfigDocs(inputs: { flags: readonly FlagSpec[]; rootlessEnv: Record<string, string>; userDefaults: Record<string, unknown> }): string;
}

test('docs/configuration.md is what the flag table generates', async () => {
  const generator = (await import(pathToFileURL(join(ROOT, 'scripts/gen-config-docs.mjs')).href)) as Generator;
  const expected = generator.renderConfigDocs({ flags: FLAGS, rootlessEnv: ROOTLESS_ENV, userDefaults: userDefaults('~') });
  const actual = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  assert.ok(actual === expected, `docs/configuration.md is out of date: ${REGENERATE}`);
});

test('docs/configuration.md documents every flag and every K3S_* variable the code reads', () => {
  const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  for (const f of FLAGS) {
    assert.ok(doc.includes(`| \`--${f.name}\` |`), `--${f.name} is not in docs/configuration.md: ${REGENERATE}`);
    if (f.env) assert.ok(doc.includes(`\`${f.env}\``), `${f.env} is not in docs/configuration.md`);
  }
  const read = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/env(?:\.|\[['"`])(_?K3S_[A-Z0-9_]+)|['"`](_?K3S_[A-Z0-9_]+)['"`]/g)) read.add(m[1] ?? m[2]!);
      }
    }
  };
  walk(join(ROOT, 'src'));
  assert.ok(read.has('K3S_LOG_LEVEL') && read.has('K3S_ROOTLESS_MTU'), 'the scan finds variables');
  const missing = [...read].filter((name) => !doc.includes(`\`${name}\``));
  assert.deepEqual(missing, [], `variables read by src/ but not documented in docs/configuration.md (add them to OTHER_VARS in scripts/gen-config-docs.mjs)`);
});
