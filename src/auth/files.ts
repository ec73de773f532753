/** Small file helpers for credentials: atomic writes with an exact mode, optional reads. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

/**
 * Writes `data` to `path` atomically: a temp file beside it (so rename stays on one filesystem),
 * created with `mode` from the start so a key is never readable by others even for an instant,
 * chmod'ed again because the umask may have narrowed it, then renamed over the target.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The file's text, or undefined when it does not exist. Other errors propagate. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
