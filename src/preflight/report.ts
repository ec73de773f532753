/** Check results for people (aligned columns, fixes under the line, a summary) and for scripts (JSON). */
import type { CheckGroup, CheckResult, CheckStatus } from './types.js';

const GROUP_TITLES: Record<CheckGroup, string> = {
  config: 'Configuration',
  kernel: 'Kernel',
  cgroups: 'cgroups',
  devices: 'Devices',
  tools: 'Programs',
  rootless: 'Rootless',
};

const LABEL: Record<CheckStatus, string> = { pass: 'pass', warn: 'WARN', fail: 'FAIL' };

export interface Summary {
  readonly pass: number;
  readonly warn: number;
  readonly fail: number;
}

export function summarize(results: readonly CheckResult[]): Summary {
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  return { pass: count('pass'), warn: count('warn'), fail: count('fail') };
}

export function formatText(results: readonly CheckResult[], title: string): string {
  const width = Math.max(0, ...results.map((r) => r.name.length));
  const lines = [title, ''];
  const groups = [...new Set(results.map((r) => r.group))];
  for (const group of groups) {
    lines.push(GROUP_TITLES[group]);
    for (const r of results.filter((x) => x.group === group)) {
      lines.push(`  ${LABEL[r.status]}  ${r.name.padEnd(width)}  ${r.detail}`);
      if (r.status !== 'pass' && r.fix) lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  fix: ${r.fix}`);
    }
    lines.push('');
  }
  const s = summarize(results);
  const verdict = s.fail > 0 ? 'NOT READY' : s.warn > 0 ? 'ready, with warnings' : 'ready';
  lines.push(`${results.length} checks: ${s.pass} passed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed: ${verdict}`);
  return `${lines.join('\n')}\n`;
}

export interface JsonReport {
  readonly mode: 'host' | 'rootless';
  readonly ok: boolean;
  readonly summary: Summary;
  readonly checks: readonly CheckResult[];
}

export function formatJson(results: readonly CheckResult[], mode: JsonReport['mode']): string {
  const summary = summarize(results);
  const report: JsonReport = { mode, ok: summary.fail === 0, summary, checks: results };
  return `${JSON.stringify(report, null, 2)}\n`;
}
