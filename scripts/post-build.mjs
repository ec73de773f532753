// Copies non-TypeScript assets (proto files, templates) next to the compiled code and marks the
// CLI entry executable, so dist/ is self-contained.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
