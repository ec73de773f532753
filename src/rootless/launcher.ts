/**
 * The rootless launcher (parent side): checks what rootless mode needs, arranges cgroup v2
 * delegation, then runs this same k3s command as the child of rootlesskit with slirp4netns
 * networking. Two ways to end up there:
 * - hand-over (the k3s shell wrapper, src/cli/k3s-wrapper.sh.tmpl): the launcher writes the
 *   rootlesskit command to the wrapper and exits; the wrapper execs it, so rootlesskit becomes
 *   the very process systemd or the terminal started (same PID, signals, exit code) and no
 *   second Node process stays resident beside the cluster (measured: ~61 MiB saved).
 * - resident (node main.js run directly): the launcher starts rootlesskit and waits for it,
 *   passing SIGTERM/SIGINT on; rootlesskit tears down the namespaces, the child tree and slirp4netns.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
// Module by module, not the rootlesskit barrel: the API client (node:http) and the resident
// start are loaded only when needed, which saves the launcher's every start their module load.
import { rootlessKitArgv, type RootlessKitSettings } from '../../rootlesskit/settings.js';
import { cachedRootlessKitVersion, SUBID_SOURCE_SINCE, versionAtLeast } from '../../rootlesskit/version.js';
import { ConfigError, type Config } from '../config/index.js';
import { logger } from '../log/index.js';
import { assertPreflight, findExecutable, pathDirs } from '../preflight/index.js';
import { degradedModeMessage, readCgroupState, type CgroupState } from './cgroups.js';
import { CHILD_MARKER, UNPRIVILEGED_PORT_START_ENV } from './roles.js';
import { startDelegatedScope } from './systemd-scope.js';

/** Subgroup rootlesskit moves the child's processes into, so the child may enable controllers. */
export const EVACUATION_CGROUP = 'k3s_evac';

/** rootlesskit runs this (four times) for the subordinate ids unless told to read the files. */
const GETSUBIDS = '/usr/bin/getsubids';
/** In the state dir: the installed rootlesskit's version, so that not every start has to run it. */
const VERSION_CACHE = 'rootlesskit-version';

/** Set by the wrapper to its own PID: the process that will exec rootlesskit. */
export const HANDOFF_PID_ENV = 'K3S_HANDOFF_PID';
/** The wrapper reads the hand-over command from this file descriptor. */
export const HANDOFF_FD = 3;

export interface LaunchOptions {
  /** The command line to re-run inside (node, the CLI script, the original arguments). */
  readonly command: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** What the launcher decided: rootlesskit's settings and the environment additions for the child. */
export interface RootlessPlan {
  readonly kit: RootlessKitSettings;
  readonly childEnv: Readonly<Record<string, string>>;
}

/** The wrapper's PID when this launcher runs under the hand-over protocol, else undefined. */
export function handOffPid(env: NodeJS.ProcessEnv): number | undefined {
  const pid = Number(env[HANDOFF_PID_ENV]);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

export async function runRootlessLauncher(config: Config, options: LaunchOptions): Promise<number> {
  const wrapperPid = handOffPid(options.env);
  const plan = await planRootless(config, options, wrapperPid);
  if (wrapperPid !== undefined) {
    handOver(plan);
    // The wrapper execs rootlesskit once this process is gone; everything is written (the logs
    // are synchronous), so skip Node's orderly teardown of the heap: 5 ms of every start.
    process.exit(0);
  }
  return runResident(plan, options.env);
}

/**
 * Preflight, the state lock and cgroup delegation; `extraPid` (the wrapper that becomes
 * rootlesskit) joins this process in a delegated scope, since the scope must outlive us.
 */
export async function planRootless(config: Config, options: LaunchOptions, extraPid?: number): Promise<RootlessPlan> {
  const settings = config.rootlessSettings;
  mkdirSync(settings.stateDir, { recursive: true, mode: 0o700 });
  // Asked now (when not remembered), answered while the checks below run (see subidSource).
  const kitBinary = existsSync(GETSUBIDS) ? findExecutable('rootlesskit', pathDirs(options.env.PATH)) : undefined;
  const kitVersion = kitBinary ? cachedRootlessKitVersion(kitBinary, join(settings.stateDir, VERSION_CACHE)) : undefined;
  await refuseSecondInstance(settings.stateDir, config.dataDir);
  // Everything rootlesskit would otherwise fail on obscurely (subuid ranges, newuidmap, tun,
  // user namespaces, missing binaries), each with its fix, before anything starts.
  assertPreflight(config, 'rootless');

  const cgroups = await arrangeDelegation(config, options.env, extraPid === undefined ? [process.pid] : [extraPid, process.pid]);
  const delegatedWithControllers = cgroups.delegated && cgroups.controllers.length > 0;
  const kit: RootlessKitSettings = {
    stateDir: settings.stateDir,
    net: 'slirp4netns',
    mtu: settings.mtu,
    cidr: settings.cidr,
    disableHostLoopback: settings.disableHostLoopback,
    ipv6: ipv6Wanted(config),
    portDriver: settings.portDriver,
    copyUpDirs: settings.copyUpDirs,
    // Host / is private on many machines: rslave only warns there, and containers need it elsewhere.
    propagation: 'rslave',
    pidns: true,
    cgroupns: true,
    utsns: true,
    ipcns: true,
    // Preflight has just found the ranges in /etc/subuid and /etc/subgid (it requires them there):
    // reading the files spares rootlesskit its four getsubids runs, ~25 ms of every start.
    ...(kitVersion && versionAtLeast(await kitVersion, SUBID_SOURCE_SINCE) ? { subidSource: 'static' as const } : {}),
    ...(delegatedWithControllers ? { evacuateCgroup2: EVACUATION_CGROUP } : {}),
    command: options.command,
  };
  return { kit, childEnv: { [CHILD_MARKER]: '1', [UNPRIVILEGED_PORT_START_ENV]: String(unprivilegedPortStart()) } };
}

/** Writes the shell command that replaces the wrapper with rootlesskit; the wrapper evals it. */
function handOver(plan: RootlessPlan): void {
  const exports = Object.entries(plan.childEnv).map(([name, value]) => `${name}=${shellQuote(value)}`);
  const argv = [plan.kit.binary ?? 'rootlesskit', ...rootlessKitArgv(plan.kit)];
  const script = `export ${exports.join(' ')}\nexec ${argv.map(shellQuote).join(' ')}\n`;
  try {
    writeSync(HANDOFF_FD, script);
  } catch (err) {
    throw new ConfigError(`${HANDOFF_PID_ENV} is set but file descriptor ${HANDOFF_FD} is not writable (${(err as Error).message}): unset ${HANDOFF_PID_ENV}, it is only for the k3s wrapper script`);
  }
  logger('rootless').info(
    { stateDir: plan.kit.stateDir, mtu: plan.kit.mtu, cidr: plan.kit.cidr, portDriver: plan.kit.portDriver },
    'handing over to rootlesskit; the server runs inside its namespaces',
  );
}

async function runResident(plan: RootlessPlan, env: NodeJS.ProcessEnv): Promise<number> {
  const log = logger('rootless');
  const started = performance.now();
  const { startRootlessKit } = await import('../../rootlesskit/process.js');
  const kit = await startRootlessKit(plan.kit, { env: { ...env, ...plan.childEnv } });
  log.info(
    { ms: Math.round(performance.now() - started), childPID: kit.info.childPID, mtu: plan.kit.mtu, cidr: plan.kit.cidr, portDriver: plan.kit.portDriver, stateDir: plan.kit.stateDir },
    'rootlesskit is up; the server runs inside its namespaces (this launcher stays resident: the k3s wrapper script, given --rootless on its command line, would exec rootlesskit instead)',
  );
  const stop = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'stopping the rootless cluster');
    void kit.stop(10_000);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    return await kit.exited;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}

/** One POSIX shell word: single quotes, with each ' written as '\''. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** rootlesskit's state lock is per directory: say clearly that one is running, or clear stale files. */
async function refuseSecondInstance(stateDir: string, dataDir: string): Promise<void> {
  const socket = join(stateDir, 'api.sock');
  if (!existsSync(socket)) return;
  try {
    const { RootlessKitClient } = await import('../../rootlesskit/api-client.js');
    const info = await new RootlessKitClient(socket, 1000).info();
    throw new ConfigError(
      `a rootless k3s is already running with data dir ${dataDir} (rootlesskit child pid ${info.childPID}): stop it first ` +
        '(systemctl --user stop k3s-rootless, or k3s-killall.sh), or start another instance with a different --data-dir and --https-listen-port',
    );
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // Nobody answers: leftovers of an instance that died. They would confuse readiness.
    for (const name of ['api.sock', 'child_pid']) rmSync(join(stateDir, name), { force: true });
  }
}

async function arrangeDelegation(config: Config, env: NodeJS.ProcessEnv, pids: readonly number[]): Promise<CgroupState> {
  const log = logger('rootless');
  let state = readCgroupState();
  if (state.delegated) {
    // Started by a unit with Delegate=yes (systemctl --user, systemd-run --user -p Delegate=yes).
    log.info({ cgroup: state.cgroup, controllers: state.controllers }, 'already running in a delegated cgroup v2 subtree');
  } else if (state.mode !== 'v1') {
    const unitName = `k3s-rootless-${createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8)}.scope`;
    const result = await startDelegatedScope({ unitName, pids, env });
    if (result.ok) {
      state = readCgroupState();
      log.info({ unit: unitName, cgroup: state.cgroup, controllers: state.controllers }, 'running in a delegated cgroup scope from systemd --user');
    } else {
      log.warn(degradedModeMessage(state, `no delegated cgroup v2 subtree (${result.reason})`));
      return state;
    }
  }
  if (state.delegated && state.controllers.length === 0) {
    log.warn(degradedModeMessage(state, 'the delegated cgroup v2 subtree offers no controllers'));
  }
  return state;
}

/** K3S_ROOTLESS_ENABLE_IPV6=auto: on when the cluster is dual-stack (an IPv6 cluster or service CIDR). */
function ipv6Wanted(config: Config): boolean {
  const setting = config.rootlessSettings.enableIPv6;
  if (setting !== 'auto') return setting;
  return [...config.cluster.clusterCidrs, ...config.cluster.serviceCidrs].some((cidr) => cidr.includes(':'));
}

function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) || 1024;
  } catch {
    return 1024;
  }
}
