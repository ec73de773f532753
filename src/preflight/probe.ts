/**
 * What the checks may ask of the machine: files, directories, commands, the current user.
 * Checks are pure functions over a Probe, so unit tests describe a host instead of needing one.
 * Every method answers instead of throwing: a missing or unreadable file is `undefined`.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, release, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface FileInfo {
  readonly mode: number;
  readonly uid: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isCharacterDevice: boolean;
  readonly isSocket: boolean;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Probe {
  readonly env: NodeJS.ProcessEnv;
  readonly uid: number;
  /** Login name of `uid` (subuid/subgid entries may use the name or the number). */
  readonly user: string;
  readonly home: string;
  /** `uname -r`. */
  readonly kernelRelease: string;
  readFile(path: string): string | undefined;
  /** /proc/config.gz and other gzip files, decompressed. */
  readGzipFile(path: string): string | undefined;
  stat(path: string): FileInfo | undefined;
  readDir(path: string): string[] | undefined;
  writable(path: string): boolean;
  /** Opens read-write and closes again: the only honest answer to "may I use this device". */
  openReadWrite(path: string): { readonly ok: true } | { readonly ok: false; readonly code: string };
  /** Absolute path of an executable found on PATH or in the sbin directories. */
  which(command: string): string | undefined;
  /** Runs a command to completion (a few seconds at most); undefined when it cannot start. */
  run(command: string, args: readonly string[]): CommandResult | undefined;
}

/** sbin directories are searched too: a user's PATH often lacks them, and runc lives there on Debian. */
const EXTRA_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The first file named `command` in `dirs` that this user may execute, as a shell's lookup finds it. */
export function findExecutable(command: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const path = join(dir, command);
    if (safe(() => statSync(path).isFile() && (accessSync(path, constants.X_OK), true))) return path;
  }
  return undefined;
}

/** The directories of a PATH value, in order. */
export function pathDirs(path: string | undefined): string[] {
  return (path ?? '').split(delimiter).filter(Boolean);
}

export interface HostProbeOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly commandTimeoutMs?: number;
}

export function hostProbe(options: HostProbeOptions = {}): Probe {
  const env = options.env ?? process.env;
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const timeout = options.commandTimeoutMs ?? 5000;
  const info = safe(() => userInfo());
  const stat = (path: string): FileInfo | undefined =>
    safe(() => {
      const s = statSync(path);
      return { mode: s.mode, uid: s.uid, isFile: s.isFile(), isDirectory: s.isDirectory(), isCharacterDevice: s.isCharacterDevice(), isSocket: s.isSocket() };
    });
  return {
    env,
    uid,
    // The passwd name of the uid, not $USER: su without - leaves USER stale, and subuid lookups need the truth.
    user: info?.username ?? env.USER ?? String(uid),
    home: env.HOME ?? info?.homedir ?? homedir(),
    kernelRelease: release(),
    readFile: (path) => safe(() => readFileSync(path, 'utf8')),
    readGzipFile: (path) => safe(() => gunzipSync(readFileSync(path)).toString('utf8')),
    stat,
    readDir: (path) => safe(() => readdirSync(path).sort()),
    writable: (path) => safe(() => (accessSync(path, constants.W_OK), true)) ?? false,
    openReadWrite: (path) => {
      try {
        closeSync(openSync(path, 'r+'));
        return { ok: true };
      } catch (err) {
        return { ok: false, code: (err as NodeJS.ErrnoException).code ?? String(err) };
      }
    },
    which: (command) => findExecutable(command, [...pathDirs(env.PATH), ...EXTRA_PATH]),
    run: (command, args) => {
      try {
        const stdout = execFileSync(command, args, { timeout, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
        return { code: 0, stdout, stderr: '' };
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { status?: number | null; stdout?: string; stderr?: string };
        if (e.code === 'ENOENT' || e.code === 'EACCES') return undefined;
        return { code: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
  };
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
