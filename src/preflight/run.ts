/**
 * The checks in the order they are reported, and the two ways to run them: every check for
 * `k3s check-config`, and only the failures that matter for `k3s server` / `k3s agent` before
 * they start.
 */
import { ConfigError, type Config } from '../config/index.js';
import { cgroupsCheck } from './checks/cgroups.js';
import { tunCheck } from './checks/devices.js';
import { brNetfilterCheck, kernelConfigCheck, overlayCheck, userNamespacesCheck } from './checks/kernel.js';
import { rootUserCheck, unprivilegedUserCheck } from './checks/identity.js';
import {
  rootlessSettingsCheck,
  sessionBusCheck,
  subordinateIdChecks,
  systemdUserCheck,
  unprivilegedPortsCheck,
} from './checks/rootless.js';
import { cniCheck, idMapChecks, toolChecks } from './checks/tools.js';
import { hostProbe, type Probe } from './probe.js';
import type { Check, CheckContext, CheckResult } from './types.js';

export const CHECKS: readonly Check[] = [
  rootUserCheck,
  overlayCheck,
  brNetfilterCheck,
  userNamespacesCheck,
  kernelConfigCheck,
  cgroupsCheck,
  tunCheck,
  ...toolChecks,
  cniCheck,
  ...idMapChecks,
  unprivilegedUserCheck,
  ...subordinateIdChecks,
  systemdUserCheck,
  sessionBusCheck,
  unprivilegedPortsCheck,
  rootlessSettingsCheck,
];

/** Runs every check relevant in `ctx`; a check that throws is reported as a failure, not a crash. */
export function runChecks(probe: Probe, ctx: CheckContext, checks: readonly Check[] = CHECKS): CheckResult[] {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      const result = check(probe, ctx);
      if (result) results.push(result);
    } catch (err) {
      results.push({ id: `internal.${check.name || 'check'}`, group: 'config', name: check.name || 'check', status: 'fail', detail: `the check itself failed: ${(err as Error).message}`, fix: 'report this as a bug' });
    }
  }
  return results;
}

/**
 * Where preflight runs: 'host' for k3s server/agent as root; 'rootless' for the rootless
 * launcher on the host, as the user, before it starts rootlesskit. Inside the rootless child
 * nothing needs checking: the launcher already did.
 */
export type PreflightMode = 'host' | 'rootless';

/** The failing checks for this Config and mode; empty when the node can start. */
export function runPreflight(config: Config, mode: PreflightMode, probe: Probe = hostProbe()): CheckResult[] {
  const ctx: CheckContext = { rootless: mode === 'rootless', agent: config.role === 'agent' || !config.components.disableAgent, quick: true };
  return runChecks(probe, ctx).filter((r) => r.status === 'fail');
}

/** runPreflight, throwing one ConfigError that lists every problem with its fix. */
export function assertPreflight(config: Config, mode: PreflightMode, probe: Probe = hostProbe()): void {
  const problems = runPreflight(config, mode, probe);
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  - ${p.name}: ${p.detail}\n    fix: ${p.fix ?? '(none known)'}`);
  throw new ConfigError(
    `this machine is not ready for ${mode === 'rootless' ? 'rootless ' : ''}k3s (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}\n` +
      `run "k3s check-config${mode === 'rootless' ? ' --rootless' : ''}" for the full report`,
  );
}
