/** The shape every check answers in, and what checks may know besides the machine. */
import type { RootlessConfig } from '../config/index.js';
import type { Probe } from './probe.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export type CheckGroup = 'kernel' | 'cgroups' | 'devices' | 'tools' | 'rootless' | 'config';

export interface CheckResult {
  /** Stable identifier for scripts reading `-o json`, e.g. "kernel.overlay". */
  readonly id: string;
  readonly group: CheckGroup;
  /** Short human name, e.g. "overlay filesystem". */
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found (versions, paths, values). */
  readonly detail: string;
  /** The command or change that fixes a warn or fail. */
  readonly fix?: string;
}

export interface CheckContext {
  /** Checking for rootless mode (k3s server --rootless on the host, as the user). */
  readonly rootless: boolean;
  /** A node agent (kubelet + containerd) will run, so its runtime pieces are required. */
  readonly agent: boolean;
  /** Effective K3S_ROOTLESS_* settings, or the error they produced; only check-config passes these. */
  readonly rootlessSettings?: RootlessConfig | Error;
  /**
   * Preflight before a start: run no commands that only gather details (versions, the systemd
   * --user probe), so starting stays fast; presence and permissions are still checked.
   */
  readonly quick?: boolean;
}

/** One check: a pure function of the machine (through the probe); undefined when not relevant. */
export type Check = (probe: Probe, ctx: CheckContext) => CheckResult | undefined;

/** Builds results for one check id without repeating id, group and name. */
export function resultFor(id: string, group: CheckGroup, name: string) {
  return {
    pass: (detail: string): CheckResult => ({ id, group, name, status: 'pass', detail }),
    warn: (detail: string, fix: string): CheckResult => ({ id, group, name, status: 'warn', detail, fix }),
    fail: (detail: string, fix: string): CheckResult => ({ id, group, name, status: 'fail', detail, fix }),
    /** Fails when the thing is required in this context, warns otherwise. */
    need: (required: boolean, detail: string, fix: string): CheckResult => ({ id, group, name, status: required ? 'fail' : 'warn', detail, fix }),
  };
}
