// Copies non-TypeScript assets (proto files, templates) next to the compiled code and marks the
// CLI entry executable, so dist/ is self-contained.
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundle } from './bundle.mjs';

// BUILD_DIR lets parallel work build into separate trees (default dist/).
const OUT = process.env.BUILD_DIR ?? 'dist';

const ASSET = /\.(proto|json|yaml|tmpl)$/;
function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (ASSET.test(name)) {
      mkdirSync(join(OUT, dir), { recursive: true });
      cpSync(path, join(OUT, path));
    }
  }
}
for (const top of ['src', 'rootlesskit', 'test']) if (existsSync(top)) copyAssets(top);
chmodSync(join(OUT, 'src/cli/main.js'), 0o755);

// What users run (and the tests drive): the CLI bundled by esbuild, see scripts/bundle.mjs.
await bundle(OUT);

// The k3s command as install.sh writes it (a shell wrapper: rootless mode hands over to
// rootlesskit through it), pointing at this build's bundle: BUILD/bin/k3s.
const wrapper = readFileSync('src/cli/k3s-wrapper.sh.tmpl', 'utf8').replace('@NODE@', process.execPath).replace('@MAIN@', resolve(OUT, 'bundle/k3s.mjs')).replace('@LAUNCHER@', resolve(OUT, 'bundle/k3s-launcher.cjs'));
mkdirSync(join(OUT, 'bin'), { recursive: true });
writeFileSync(join(OUT, 'bin/k3s'), wrapper, { mode: 0o755 });
chmodSync(join(OUT, 'bin/k3s'), 0o755);
