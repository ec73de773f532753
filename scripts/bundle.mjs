// Bundles the compiled CLI (BUILD/src/cli/main.js) and its pure-JS packages into one ESM file,
// BUILD/bundle/k3s.mjs, which the k3s wrapper runs. Why: Node 20 spends ~600 ms resolving,
// reading and linking ~390 of our modules plus ~1,000 package files before the server starts;
// one file is parsed once. Packages that find their own files at run time stay external and load
// from node_modules: native addons (better-sqlite3, cpu-features, ssh2, usocket, x11), and
// pino-pretty, loaded only for a terminal. pino itself is bundled: k3s writes to fd 2 through
// pino.destination and never starts pino's worker-thread transports (which find scripts by path).
// BUILD/src/** stays as tsc wrote it for the tests that import single modules.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const BUNDLE_EXTERNAL = ['better-sqlite3', 'cpu-features', 'ssh2', 'usocket', 'x11', 'pino-pretty'];

/** Writes OUT/bundle/k3s.mjs (+ the assets its modules look up beside themselves). */
export async function bundle(out) {
  const dir = join(out, 'bundle');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: { k3s: join(out, 'src/cli/main.js') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    bundle: true,
    // The dynamic imports (server, agent, rootless launcher, datastore drivers) become chunks
    // loaded on use: `k3s --version` and the rootless launcher do not parse the control plane.
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: BUNDLE_EXTERNAL,
    // CommonJS packages inside an ESM bundle still call require() for Node built-ins.
    banner: { js: "import { createRequire as __k3sCreateRequire } from 'node:module'; const require = __k3sCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    legalComments: 'none',
    sourcemap: 'linked',
  });
  await bundleLauncher(dir);
  // src/agent/cri/client.ts loads ./api.proto relative to its own module, which is now the bundle.
  cpSync('src/agent/cri/api.proto', join(dir, 'api.proto'));
}

/**
 * OUT/bundle/k3s-launcher.cjs: only what `k3s server --rootless` runs before the hand-over to
 * rootlesskit (src/cli/launcher-main.ts), one file. Why: every rootless start waits for this Node
 * process, and the code-split ESM bundle costs it ~70 ms more (measured: docs/benchmarks.md).
 * CommonJS, since Node starts it faster than the same bundle as ESM (measured, same section).
 * dbus-next stays external: loaded only when a systemd --user bus answers.
 */
async function bundleLauncher(dir) {
  await build({
    entryPoints: { 'k3s-launcher': join(dir, '..', 'src/cli/launcher-main.js') },
    outdir: dir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: [...BUNDLE_EXTERNAL, 'dbus-next'],
    // Modules that load a package beside themselves (createRequire(import.meta.url)) get this file's URL.
    banner: { js: "const __k3sImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__k3sImportMetaUrl' },
    logLevel: 'warning',
    legalComments: 'none',
    sourcemap: 'linked',
  });
}
