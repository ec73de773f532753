/**
 * Which rootlesskit is installed, for the flags that only newer releases accept. Asked with
 * `rootlesskit --version` in the background, so a caller can overlap the run with its own work.
 */
import { execFile } from 'node:child_process';

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
