// Copies non-TypeScript assets (proto files, templates) next to the compiled code and marks the
// CLI entry executable, so dist/ is self-contained.
import { chmodSync, cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = /\.(proto|json|yaml|tmpl)$/;
function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (ASSET.test(name)) cpSync(path, join('dist', path));
  }
}
for (const top of ['src', 'rootlesskit', 'test']) if (existsSync(top)) copyAssets(top);
chmodSync('dist/src/cli/main.js', 0o755);
