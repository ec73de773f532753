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

/** Where `which` looks, in order: PATH, then the sbin directories. */
function searchDirs(env: NodeJS.ProcessEnv): string[] {
  return [...pathDirs(env.PATH), ...EXTRA_PATH];
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
    which: (command) => findExecutable(command, searchDirs(env)),
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

/** Everything a run of checks asked of the machine (see recordingProbe). */
export interface ProbeRecord {
  /** Paths read, listed, stat'ed, opened or tested, and the executables `which` found. */
  readonly paths: Set<string>;
  /** Directories `which` searched: adding a file to one can change what it finds. */
  readonly searched: Set<string>;
  /** Commands run: their answers can change with nothing on disk changing. */
  readonly commands: string[];
}

/**
 * `probe` with every question written down, so a caller can tell later whether the answers
 * could have changed (the rootless launch cache fingerprints exactly these inputs).
 */
export function recordingProbe(probe: Probe): { probe: Probe; record: ProbeRecord } {
  const record: ProbeRecord = { paths: new Set(), searched: new Set(), commands: [] };
  const noting = <A extends unknown[], R>(fn: (path: string, ...rest: A) => R) => (path: string, ...rest: A): R => {
    record.paths.add(path);
    return fn(path, ...rest);
  };
  return {
    record,
    probe: {
      ...probe,
      readFile: noting(probe.readFile),
      readGzipFile: noting(probe.readGzipFile),
      stat: noting(probe.stat),
      readDir: noting(probe.readDir),
      writable: noting(probe.writable),
      openReadWrite: noting(probe.openReadWrite),
      which: (command) => {
        for (const dir of searchDirs(probe.env)) record.searched.add(dir);
        const found = probe.which(command);
        if (found !== undefined) record.paths.add(found);
        return found;
      },
      run: (command, args) => {
        record.commands.push([command, ...args].join(' '));
        return probe.run(command, args);
      },
    },
  };
}
