/**
 * Which rootlesskit is installed, for the flags that only newer releases accept. Asked with
 * `rootlesskit --version` in the background, so a caller can overlap the run with its own work.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';

/** `rootlesskit --version` -> "1.1.0"; undefined when it cannot be run or says something else. */
export function rootlessKitVersion(binary = 'rootlesskit', timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: timeoutMs }, (err, stdout) => {
      resolve(err ? undefined : /rootlesskit version v?(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1]);
    });
  });
}

/** True when `version` (x.y.z...) is at least `minimum`; an unknown version is not. */
export function versionAtLeast(version: string | undefined, minimum: string): boolean {
  if (version === undefined) return false;
  const have = version.split(/[.+-]/).slice(0, 3).map(Number);
  const want = minimum.split('.').map(Number);
  for (let i = 0; i < want.length; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (!Number.isFinite(a)) return false;
    if (a !== b) return a > b;
  }
  return true;
}

/** --subid-source (auto|dynamic|static) exists since rootlesskit 1.1.0. */
export const SUBID_SOURCE_SINCE = '1.1.0';

/**
 * rootlessKitVersion, remembered in `cacheFile` together with the identity of the binary asked
 * (path, inode, size, modification time): the answer only changes when the binary does, and
 * running it costs every rootless start a process spawn (~20-30 ms CPU of the launcher, measured).
 * A missing, unreadable or stale cache is simply asked again; a failing write is ignored.
 */
export async function cachedRootlessKitVersion(binaryPath: string, cacheFile: string, timeoutMs = 5000): Promise<string | undefined> {
  let identity: string;
  try {
    const s = statSync(binaryPath);
    identity = `${binaryPath} ${s.ino} ${s.size} ${s.mtimeMs}`;
  } catch {
    return undefined;
  }
  try {
    const [cachedIdentity, version] = readFileSync(cacheFile, 'utf8').split('\n');
    if (cachedIdentity === identity && version) return version;
  } catch {
    // no cache yet
  }
  const version = await rootlessKitVersion(binaryPath, timeoutMs);
  if (version !== undefined) {
    try {
      writeFileSync(cacheFile, `${identity}\n${version}\n`, { mode: 0o600 });
    } catch {
      // an unwritable state dir only costs the next start the same question
    }
  }
  return version;
}
