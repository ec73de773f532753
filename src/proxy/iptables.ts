/**
 * Runs iptables in the node's network namespace (the process's own: the host's in root mode,
 * rootlesskit's in rootless mode, where the process is root of its user namespace). Whichever
 * backend the distribution's `iptables` is (nf_tables or legacy) is used for all commands, so
 * our rules and the CNI plugins' land in the same tables.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Jump, TableName } from './rules.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with optional stdin; never throws for a non-zero exit. */
export function runProgram(file: string, args: readonly string[], input?: string, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 127 ? String(err.message) : '') });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** Finds a program on PATH or in the sbin directories (a user's PATH often lacks them). */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

export class IptablesError extends Error {
  override readonly name = 'IptablesError';
}

/** What the proxy needs from iptables (the Iptables class; a fake in unit tests). */
export interface IptablesRunner {
  version(): Promise<string>;
  restore(input: string): Promise<void>;
  chains(table: TableName): Promise<string[]>;
  ensureJump(jump: Jump): Promise<void>;
  removeJump(jump: Jump): Promise<void>;
}

export class Iptables implements IptablesRunner {
  readonly #iptables: string;
  readonly #restore: string;
  readonly #save: string;

  private constructor(iptables: string, restore: string, save: string) {
    this.#iptables = iptables;
    this.#restore = restore;
    this.#save = save;
  }

  /** Locates the binaries; a clear error says which package provides them when missing. */
  static find(): Iptables {
    const iptables = findProgram('iptables');
    const restore = findProgram('iptables-restore');
    const save = findProgram('iptables-save');
    if (!iptables || !restore || !save) {
      throw new IptablesError('the service proxy needs iptables, iptables-restore and iptables-save: install the iptables package (apt-get install iptables), or run with --disable-kube-proxy');
    }
    return new Iptables(iptables, restore, save);
  }

  async version(): Promise<string> {
    const r = await runProgram(this.#iptables, ['-V']);
    return r.stdout.trim();
  }

  /** Applies restore input atomically per table, leaving chains it does not name untouched. */
  async restore(input: string): Promise<void> {
    // -w: wait for the xtables lock rather than fail when the CNI plugins hold it.
    const r = await runProgram(this.#restore, ['-w', '--noflush'], input);
    if (r.code !== 0) throw new IptablesError(`iptables-restore failed (${r.code}): ${r.stderr.trim()}`);
  }

  /** The chain names that exist in a table. */
  async chains(table: TableName): Promise<string[]> {
    const r = await runProgram(this.#save, ['-t', table]);
    if (r.code !== 0) throw new IptablesError(`iptables-save -t ${table} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!);
  }

  async save(table: TableName): Promise<string> {
    return (await runProgram(this.#save, ['-t', table])).stdout;
  }

  /** Inserts the jump at the top of its built-in chain unless it is there already. */
  async ensureJump(jump: Jump): Promise<void> {
    const check = await runProgram(this.#iptables, ['-w', '-t', jump.table, '-C', jump.chain, ...jump.args]);
    if (check.code === 0) return;
    const insert = await runProgram(this.#iptables, ['-w', '-t', jump.table, '-I', jump.chain, ...jump.args]);
    if (insert.code !== 0) throw new IptablesError(`adding the ${jump.table}/${jump.chain} jump failed (${insert.code}): ${insert.stderr.trim()}`);
  }

  /** Removes every copy of the jump (a crash may have left duplicates). */
  async removeJump(jump: Jump): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const r = await runProgram(this.#iptables, ['-w', '-t', jump.table, '-D', jump.chain, ...jump.args]);
      if (r.code !== 0) return;
    }
  }
}
