/**
 * Preflight: what this machine has and lacks for k3s, as checks that each say pass, warn or
 * fail and give the fix. `k3s check-config` prints all of them; `k3s server` runs the ones that
 * can fail for its mode before it starts (assertPreflight).
 */
export { CHECKS, assertPreflight, runChecks, runPreflight, type PreflightMode } from './run.js';
export { findExecutable, hostProbe, pathDirs, recordingProbe, type CommandResult, type FileInfo, type HostProbeOptions, type Probe, type ProbeRecord } from './probe.js';
export { formatJson, formatText, summarize, type JsonReport, type Summary } from './report.js';
export type { Check, CheckContext, CheckGroup, CheckResult, CheckStatus } from './types.js';
