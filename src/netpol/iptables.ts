/**
 * The few iptables operations the policy controller needs, in the process's own network
 * namespace (the host's as root, rootlesskit's when rootless): atomic restore of our chains,
 * keeping our jump the first rule of a built-in chain, and listing what exists.
 */
// The same program lookup and runner as the service proxy's: both drive iptables the same way.
import { findProgram, runProgram } from '../proxy/iptables.js';

export class NetpolIptablesError extends Error {
  override readonly name = 'NetpolIptablesError';
}

export class FilterTable {
  private constructor(
    private readonly iptables: string,
    private readonly restoreBin: string,
    private readonly saveBin: string,
  ) {}

  static find(): FilterTable {
    const iptables = findProgram('iptables');
    const restore = findProgram('iptables-restore');
    const save = findProgram('iptables-save');
    if (!iptables || !restore || !save) {
      throw new NetpolIptablesError('network policy enforcement needs iptables, iptables-restore and iptables-save: install the iptables package, or run with --disable-network-policy');
    }
    return new FilterTable(iptables, restore, save);
  }

  async restore(input: string): Promise<void> {
    if (input === '') return;
    const r = await runProgram(this.restoreBin, ['-w', '--noflush'], input);
    if (r.code !== 0) throw new NetpolIptablesError(`iptables-restore failed (${r.code}): ${r.stderr.trim()}`);
  }

  /** Chains of the filter table whose names match. */
  async chains(match: RegExp): Promise<string[]> {
    const r = await runProgram(this.saveBin, ['-t', 'filter']);
    if (r.code !== 0) throw new NetpolIptablesError(`iptables-save -t filter failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!).filter((c) => match.test(c));
  }

  /** Makes `args` the first rule of `chain` (other components insert at the top too). */
  async ensureFirst(chain: string, args: readonly string[]): Promise<void> {
    const listed = await runProgram(this.iptables, ['-w', '-t', 'filter', '-S', chain]);
    if (listed.code !== 0) throw new NetpolIptablesError(`iptables -S ${chain} failed (${listed.code}): ${listed.stderr.trim()}`);
    const first = listed.stdout.split('\n').find((l) => l.startsWith('-A '));
    const target = args[args.length - 1]!;
    if (first !== undefined && first.endsWith(`-j ${target}`) && first.includes('k3s network policy')) return;
    await this.remove(chain, args);
    const r = await runProgram(this.iptables, ['-w', '-t', 'filter', '-I', chain, '1', ...args]);
    if (r.code !== 0) throw new NetpolIptablesError(`inserting the ${chain} jump failed (${r.code}): ${r.stderr.trim()}`);
  }

  /** Removes every copy of a rule (a crash may leave duplicates). */
  async remove(chain: string, args: readonly string[]): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const r = await runProgram(this.iptables, ['-w', '-t', 'filter', '-D', chain, ...args]);
      if (r.code !== 0) return;
    }
  }
}
