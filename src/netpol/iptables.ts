/**
 * The few iptables operations the policy controller needs, in the process's own network
 * namespace (the host's as root, rootlesskit's when rootless): atomic restore of our chains,
 * keeping our jump the first rule of a built-in chain, and listing what exists.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export class NetpolIptablesError extends Error {
  override readonly name = 'NetpolIptablesError';
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: readonly string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(file, [...args], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 127 ? err.message : '') });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

function find(name: string): string | undefined {
  // A user's PATH often lacks the sbin directories.
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export class FilterTable {
  private constructor(
    private readonly iptables: string,
    private readonly restoreBin: string,
    private readonly saveBin: string,
  ) {}

  static find(): FilterTable {
    const iptables = find('iptables');
    const restore = find('iptables-restore');
    const save = find('iptables-save');
    if (!iptables || !restore || !save) {
      throw new NetpolIptablesError('network policy enforcement needs iptables, iptables-restore and iptables-save: install the iptables package, or run with --disable-network-policy');
    }
    return new FilterTable(iptables, restore, save);
  }

  async restore(input: string): Promise<void> {
    if (input === '') return;
    const r = await exec(this.restoreBin, ['-w', '--noflush'], input);
    if (r.code !== 0) throw new NetpolIptablesError(`iptables-restore failed (${r.code}): ${r.stderr.trim()}`);
  }

  /** Chains of the filter table whose names match. */
  async chains(match: RegExp): Promise<string[]> {
    const r = await exec(this.saveBin, ['-t', 'filter']);
    if (r.code !== 0) throw new NetpolIptablesError(`iptables-save -t filter failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!).filter((c) => match.test(c));
  }

  /** Makes `args` the first rule of `chain` (other components insert at the top too). */
  async ensureFirst(chain: string, args: readonly string[]): Promise<void> {
    const listed = await exec(this.iptables, ['-w', '-t', 'filter', '-S', chain]);
    if (listed.code !== 0) throw new NetpolIptablesError(`iptables -S ${chain} failed (${listed.code}): ${listed.stderr.trim()}`);
    const first = listed.stdout.split('\n').find((l) => l.startsWith('-A '));
    const target = args[args.length - 1]!;
    if (first !== undefined && first.endsWith(`-j ${target}`) && first.includes('k3s network policy')) return;
    await this.remove(chain, args);
    const r = await exec(this.iptables, ['-w', '-t', 'filter', '-I', chain, '1', ...args]);
    if (r.code !== 0) throw new NetpolIptablesError(`inserting the ${chain} jump failed (${r.code}): ${r.stderr.trim()}`);
  }

  /** Removes every copy of a rule (a crash may leave duplicates). */
  async remove(chain: string, args: readonly string[]): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const r = await exec(this.iptables, ['-w', '-t', 'filter', '-D', chain, ...args]);
      if (r.code !== 0) return;
    }
  }
}
