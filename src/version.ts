/** Versions this build reports: to users (`k3s --version`) and to kubectl (/version). */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const K3S_VERSION = '0.1.0';
/** The Kubernetes API level served; kubectl's dispatcher picks its bundled client by the minor. */
export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '32';
export const KUBERNETES_VERSION = `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0`;
export const GIT_VERSION = `${KUBERNETES_VERSION}+k3s-ts.${K3S_VERSION}`;

/**
 * The commit this build came from, 8 hex digits as upstream prints it, or "unknown". Read from a
 * GIT_COMMIT file at the top of the build tree when an installer wrote one (an installed copy has
 * no .git), else from the checkout's .git the build sits in; no git binary needed.
 */
export function gitCommit(from: string = fileURLToPath(import.meta.url)): string {
  const short = (hash: string | undefined): string | undefined => (hash && /^[0-9a-f]{40,64}$/.test(hash) ? hash.slice(0, 8) : undefined);
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const stamped = short(readText(join(dir, 'GIT_COMMIT')));
    if (stamped) return stamped;
    const found = gitDir(dir);
    if (found) return short(resolveHead(found)) ?? 'unknown';
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** `k3s --version`, as upstream: the k3s version with its commit, then the runtime's version. */
export function versionText(): string {
  return `k3s version ${GIT_VERSION} (${gitCommit()})\nnode version ${process.version}`;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** `.git` is a directory, or (worktrees, submodules) a file saying "gitdir: PATH". */
function gitDir(dir: string): string | undefined {
  const dotGit = join(dir, '.git');
  const asFile = readText(dotGit);
  if (asFile?.startsWith('gitdir: ')) return resolve(dir, asFile.slice('gitdir: '.length));
  return readText(join(dotGit, 'HEAD')) !== undefined ? dotGit : undefined;
}

function resolveHead(dir: string): string | undefined {
  const head = readText(join(dir, 'HEAD'));
  if (!head?.startsWith('ref: ')) return head;
  const ref = head.slice('ref: '.length);
  // A worktree keeps its refs in the common dir.
  const common = readText(join(dir, 'commondir'));
  const refDirs = common ? [dir, resolve(dir, common)] : [dir];
  for (const d of refDirs) {
    const loose = readText(join(d, ref));
    if (loose) return loose;
    const packed = readText(join(d, 'packed-refs'))?.split('\n').find((line) => line.endsWith(` ${ref}`));
    if (packed) return packed.split(' ')[0];
  }
  return undefined;
}
