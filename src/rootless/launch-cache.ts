/**
 * The rootless launch cache: lets a repeated `k3s server --rootless` skip the launcher's Node
 * start (~200 ms of every rootless start on the test machines, measured in
 * test/bench/rootless-startup.ts), which is most of what rootless adds to a start.
 *
 * After a hand-over, the launcher writes an entry: a POSIX shell fragment named by the key the k3s
 * wrapper computed from the command line and the environment the launcher reads (see
 * src/cli/k3s-wrapper.sh.tmpl). The fragment holds the rootlesskit command the launcher handed
 * over, and a fingerprint of everything its checks and decisions read: file identities (stat),
 * sysctls and cgroup files (content), the kernel build, this process's cgroup, the kind and
 * access of devices, sockets and the cgroup files delegation is judged by, and the absence of a
 * running instance. The next start with the same key sources it: it execs rootlesskit while the
 * fingerprint holds and returns otherwise, and the launcher runs as before (and writes a new entry).
 *
 * A fast start that fails before the server inside runs (rootlesskit could not set up the
 * namespaces) leaves `ENTRY.trying`: the next start then goes through the launcher, whose checks
 * say what is wrong. The server removes the marker as its first act (claimCachedLaunch).
 */
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { ProbeRecord } from '../preflight/index.js';

/** Set by the wrapper for the launcher: where the entry for this command line belongs. */
export const LAUNCH_ENTRY_ENV = '_K3S_ROOTLESS_LAUNCH_ENTRY';
/** Set by an entry for the server inside: the launcher's warning it would have logged itself. */
export const LAUNCH_NOTICE_ENV = '_K3S_ROOTLESS_LAUNCH_NOTICE';
/** Set by an entry for the server inside: it was started from this entry. */
export const LAUNCHED_FROM_ENV = '_K3S_ROOTLESS_LAUNCHED_FROM';

/** Entries kept per user: one per command line and settings in use, a few stale ones at most. */
const MAX_ENTRIES = 8;
/** File identity as the fragment compares it: any change of content, mode, owner or place shows. */
const STAT_FORMAT = '%n %d %i %s %.9Y %.9Z %a %u %g';
/**
 * The kernel build and its command line: what the kernel checks (config, modules, the cgroup
 * layout) depend on. Not the boot id: a service started at every boot should start fast too.
 */
const KERNEL = ['/proc/sys/kernel/osrelease', '/proc/sys/kernel/version', '/proc/cmdline'];

/** What a launch plan depended on, beyond the key's command line and environment. */
export interface LaunchInputs {
  /** Files and directories whose identity counts. */
  readonly files: readonly string[];
  /** Files whose content counts (sysctls, cgroup files). */
  readonly values: readonly string[];
  /**
   * Paths whose kind and access for this user count, not their identity: devices and sockets
   * are made anew at every boot, and cgroup delegation is judged by writability.
   */
  readonly access: readonly string[];
  /** Paths that must not exist (a running instance's API socket). */
  readonly absent: readonly string[];
  /**
   * Files of which only this user's lines count (name: or uid: first): /etc/subuid, /etc/subgid
   * and /etc/passwd change whenever any user is added, which must not cost everyone the cache.
   */
  readonly userLines?: { readonly files: readonly string[]; readonly name: string; readonly uid: number };
}

/** Read by the checks for this user's own entries alone (see LaunchInputs.userLines). */
const USER_FILES = ['/etc/subuid', '/etc/subgid'];

/**
 * The inputs a preflight run recorded, sorted by how they can change: sysctls by value; devices
 * and runtime files (/dev, /run) by kind and access; /etc/subuid and /etc/subgid by this user's
 * lines (userFiles); other files by identity. The rest of /proc
 * and /sys (kernel config, modules, cgroup mounts) follows the kernel build, which every entry checks.
 */
export function inputsFromProbe(record: ProbeRecord): Pick<LaunchInputs, 'files' | 'values' | 'access'> & { readonly userFiles: readonly string[] } {
  const files: string[] = [];
  const values: string[] = [];
  const access: string[] = [];
  const userFiles: string[] = [];
  for (const path of [...record.paths, ...record.searched]) {
    if (USER_FILES.includes(path)) userFiles.push(path);
    else if (path.startsWith('/proc/sys/')) values.push(path);
    else if (path.startsWith('/dev/') || path.startsWith('/run/')) access.push(path);
    else if (!path.startsWith('/proc/') && !path.startsWith('/sys/')) files.push(path);
  }
  return { files, values, access, userFiles };
}

/** The entry file for a wrapper-given path, or undefined when it is not one this module writes. */
export function launchEntryPath(env: NodeJS.ProcessEnv): string | undefined {
  const entry = env[LAUNCH_ENTRY_ENV];
  return entry && isAbsolute(entry) && /\/[0-9a-f]{64}\.sh$/.test(entry) ? entry : undefined;
}

/** One POSIX shell word: single quotes, with each ' written as '\''. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface LaunchEntry {
  readonly inputs: LaunchInputs;
  /** The hand-over script the launcher wrote for the wrapper (exports, then exec rootlesskit). */
  readonly handOver: string;
  /** A warning the server should log in the launcher's place (degraded cgroups). */
  readonly notice?: string;
  /** For the file's header: what the entry is for. */
  readonly description: string;
}

/**
 * Writes the entry at `path` (atomically: a start sources either the old or the new one) and
 * prunes old ones. The fingerprint is taken now, just before the hand-over, in the very format of
 * the `grep` and `stat` commands the fragment runs (statLines, grepLines). When an entry was
 * there already, says which of its inputs changed since (for the launcher's log: why a start
 * did not come from the cache); none when it failed for another reason (a running instance, a
 * start from it that failed, a changed wrapper).
 */
export function writeLaunchEntry(path: string, entry: LaunchEntry, now = new Date()): { readonly changed: readonly string[] } | undefined {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = [...new Set(entry.inputs.files)];
  // Read by grep, not the shell's `read`: sysctl files answer only reads from offset 0, and read
  // takes one byte at a time. /proc/self/cgroup is grep's own, the same as the wrapper's.
  const values = [...new Set([...KERNEL, ...entry.inputs.values, '/proc/self/cgroup'])];
  const access = [...new Set(entry.inputs.access)];
  const fingerprint: Record<string, string> = { 'the rootlesskit command': entry.handOver };
  for (const file of files) fingerprint[file] = statLines([file]);
  for (const file of values) fingerprint[file] = grepLines([file]);
  for (const file of access) fingerprint[file] = accessOf(file);
  const user = entry.inputs.userLines;
  const userPattern = user ? `^[[:space:]]*(${user.name.replace(/[.[\]\\^$*+?(){}|-]/g, '\\$&')}|${user.uid}):` : '';
  if (user) for (const file of user.files) fingerprint[`${file} (lines of ${user.name})`] = userLinesOf(file, user.name, user.uid);
  const before = previousFingerprint(path);
  const lines = [
    `# k3s rootless launch cache entry (src/rootless/launch-cache.ts), written ${now.toISOString()}: ${entry.description}.`,
    "# The k3s wrapper sources it: it runs rootlesskit at once while every input of the launcher's last",
    '# checks is unchanged, and returns otherwise. Deleting it is always safe.',
    `${FINGERPRINT_PREFIX}${JSON.stringify(fingerprint)}`,
    // Kind (- missing, e other, f file, d directory, c character device, S socket), then r and w for this user.
    '_k3s_acc() { _k3s_a=-; [ -e "$1" ] && _k3s_a=e; [ -f "$1" ] && _k3s_a=f; [ -d "$1" ] && _k3s_a=d; [ -c "$1" ] && _k3s_a=c; [ -S "$1" ] && _k3s_a=S; [ -r "$1" ] && _k3s_a=${_k3s_a}r; [ -w "$1" ] && _k3s_a=${_k3s_a}w; [ "$_k3s_a" = "$2" ]; }',
    `[ "$(grep -s -H '' -- ${values.map(shellQuote).join(' ')})" = ${shellQuote(values.map((f) => fingerprint[f]).filter(Boolean).join('\n'))} ] || return 1`,
    ...(files.length ? [`[ "$(stat -L -c ${shellQuote(STAT_FORMAT)} -- ${files.map(shellQuote).join(' ')} 2>/dev/null)" = ${shellQuote(files.map((f) => fingerprint[f]).filter(Boolean).join('\n'))} ] || return 1`] : []),
    ...access.map((p) => `_k3s_acc ${shellQuote(p)} ${fingerprint[p]} || return 1`),
    ...(user?.files.length
      ? [`[ "$(grep -s -H -E -- ${shellQuote(userPattern)} ${user.files.map(shellQuote).join(' ')})" = ${shellQuote(user.files.map((f) => fingerprint[`${f} (lines of ${user.name})`]).filter(Boolean).join('\n'))} ] || return 1`]
      : []),
    ...entry.inputs.absent.map((p) => `[ ! -e ${shellQuote(p)} ] || return 1`),
    `: > ${shellQuote(`${path}.trying`)} || return 1`,
    `export ${LAUNCHED_FROM_ENV}=${shellQuote(path)}${entry.notice ? ` ${LAUNCH_NOTICE_ENV}=${shellQuote(entry.notice)}` : ''}`,
    entry.handOver.trimEnd(),
    '',
  ];
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, lines.join('\n'), { mode: 0o600 });
  renameSync(temp, path);
  rmSync(`${path}.trying`, { force: true });
  prune(dir);
  if (!before) return undefined;
  const names = new Set([...Object.keys(before), ...Object.keys(fingerprint)]);
  return { changed: [...names].filter((name) => before[name] !== fingerprint[name]) };
}

/** The comment line of an entry that holds its fingerprint, for the next launcher to compare. */
const FINGERPRINT_PREFIX = '# fingerprint: ';

function previousFingerprint(path: string): Record<string, string> | undefined {
  try {
    const line = readFileSync(path, 'utf8').split('\n').find((l) => l.startsWith(FINGERPRINT_PREFIX));
    return line ? (JSON.parse(line.slice(FINGERPRINT_PREFIX.length)) as Record<string, string>) : {};
  } catch {
    return undefined;
  }
}

/** Removes the entry (its plan cannot be repeated without the launcher, or no longer holds). */
export function dropLaunchEntry(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.trying`, { force: true });
}

/**
 * In the server inside rootlesskit: when a cache entry started us, clear its failure marker (the
 * namespaces are up, the entry works) and say so, with the launcher's warning it replaces.
 * Returns what the caller should log; the private variables are removed from the environment so
 * that containerd and the containers do not inherit them.
 */
export function claimCachedLaunch(env: NodeJS.ProcessEnv): { entry: string; notice?: string } | undefined {
  const entry = env[LAUNCHED_FROM_ENV];
  const notice = env[LAUNCH_NOTICE_ENV];
  delete env[LAUNCHED_FROM_ENV];
  delete env[LAUNCH_NOTICE_ENV];
  if (!entry) return undefined;
  rmSync(`${entry}.trying`, { force: true });
  return { entry, ...(notice ? { notice } : {}) };
}

/** What the fragment's _k3s_acc says of `path`: its kind, then r and w when this user may. */
export function accessOf(path: string): string {
  let kind = '-';
  try {
    const s = statSync(path);
    kind = s.isSocket() ? 'S' : s.isCharacterDevice() ? 'c' : s.isDirectory() ? 'd' : s.isFile() ? 'f' : 'e';
  } catch {
    return kind;
  }
  return `${kind}${may(path, constants.R_OK) ? 'r' : ''}${may(path, constants.W_OK) ? 'w' : ''}`;
}

function may(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/**
 * What `$(stat -L -c STAT_FORMAT -- files)` prints, computed here rather than run (the launcher's
 * start is worth the spawn): a line per file that exists, none for one that does not.
 */
export function statLines(files: readonly string[]): string {
  const lines: string[] = [];
  for (const file of files) {
    let s;
    try {
      s = statSync(file, { bigint: true, throwIfNoEntry: false });
    } catch {
      s = undefined;
    }
    if (s) lines.push(`${file} ${s.dev} ${s.ino} ${s.size} ${seconds(s.mtimeNs)} ${seconds(s.ctimeNs)} ${(Number(s.mode) & 0o7777).toString(8)} ${s.uid} ${s.gid}`);
  }
  return lines.join('\n');
}

/** What `$(grep -s -H '' -- files)` prints: FILE:LINE for every line of every readable file. */
export function grepLines(files: readonly string[]): string {
  const lines: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (text === '') continue;
    const own = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const line of own) lines.push(`${file}:${line}`);
  }
  return lines.join('\n');
}

/** What `$(grep -s -H -E '^[[:space:]]*(NAME|UID):' -- file)` prints: this user's lines of the file. */
export function userLinesOf(file: string, name: string, uid: number): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines
    .filter((line) => {
      const owner = line.trimStart().split(':', 1)[0];
      return line.includes(':') && (owner === name || owner === String(uid));
    })
    .map((line) => `${file}:${line}`)
    .join('\n');
}

/** stat's %.9Y: seconds, a dot, nine digits of nanoseconds. */
function seconds(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

function prune(dir: string): void {
  const entries = readdirSync(dir)
    .filter((name) => /^[0-9a-f]{64}\.sh$/.test(name))
    .map((name) => ({ name, mtime: safeMtime(join(dir, name)) }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(MAX_ENTRIES)) dropLaunchEntry(join(dir, old.name));
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
