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
import { assertPreflight, findExecutable, hostProbe, pathDirs, recordingProbe } from '../preflight/index.js';
import { degradedModeMessage, readCgroupState, type CgroupState } from './cgroups.js';
import { dropLaunchEntry, inputsFromProbe, launchEntryPath, shellQuote, writeLaunchEntry, type LaunchInputs } from './launch-cache.js';
import { CHILD_MARKER, UNPRIVILEGED_PORT_START_ENV } from './roles.js';
import { startDelegatedScope } from './systemd-scope.js';

/** Subgroup rootlesskit moves the child's processes into, so the child may enable controllers. */
export const EVACUATION_CGROUP = 'k3s_evac';

/** rootlesskit runs this (four times) for the subordinate ids unless told to read the files. */
const GETSUBIDS = '/usr/bin/getsubids';
/**
 * The installed rootlesskit's version, so that not every start has to run it: in the cache dir,
 * not the state dir, which rootlesskit removes when it exits.
 */
const VERSION_CACHE = 'rootlesskit-version';

/** Set by the wrapper to its own PID: the process that will exec rootlesskit. */
export const HANDOFF_PID_ENV = 'K3S_HANDOFF_PID';
/** The wrapper reads the hand-over command from this file descriptor. */
export const HANDOFF_FD = 3;

export interface LaunchOptions {
  /** The command line to re-run inside (node, the CLI script, the original arguments). */
  readonly command: readonly string[];
  /**
   * The files `command` runs (node and the CLI script), which the launch cache fingerprints. Not
   * the arguments: they are in the cache key already, and a path among them (say --data-dir)
   * names something the server changes at every run, which must not cost the next start the cache.
   */
  readonly program: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** What the launcher decided: rootlesskit's settings and the environment additions for the child. */
export interface RootlessPlan {
  readonly kit: RootlessKitSettings;
  readonly childEnv: Readonly<Record<string, string>>;
  /** What the plan depended on, when the next start may repeat it without the launcher (launch-cache.ts). */
  readonly repeatable?: LaunchInputs;
  /** The cgroup warning logged, for the server to repeat when the plan is repeated. */
  readonly notice?: string;
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
    const script = handOverScript(plan);
    rememberLaunch(plan, script, config, options.env);
    handOver(script, plan);
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
  const cacheDir = launchCacheDir(options.env);
  const kitVersion = kitBinary ? cachedRootlessKitVersion(kitBinary, join(cacheDir ?? settings.stateDir, VERSION_CACHE)) : undefined;
  await refuseSecondInstance(settings.stateDir, config.dataDir);
  // Everything rootlesskit would otherwise fail on obscurely (subuid ranges, newuidmap, tun,
  // user namespaces, missing binaries), each with its fix, before anything starts. The probe
  // writes down what the checks read: the launch cache repeats this plan only while all of it holds.
  const { probe, record } = recordingProbe(hostProbe({ env: options.env }));
  assertPreflight(config, 'rootless', probe);

  const { state: cgroups, notice, scoped } = await arrangeDelegation(config, options.env, extraPid === undefined ? [process.pid] : [extraPid, process.pid]);
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
  // A scope from systemd has to be asked for at every start, and a command a check ran can answer
  // differently with nothing on disk changed: such plans are the launcher's alone.
  const probed = inputsFromProbe(record);
  const repeatable: LaunchInputs | undefined =
    scoped || record.commands.length > 0
      ? undefined
      : {
          files: [
            ...probed.files,
            // What the launcher read itself: config, binaries, its own code.
            config.configPath,
            `${config.configPath}.d`,
            ...config.configFiles,
            GETSUBIDS,
            ...(kitBinary ? [kitBinary] : []),
            ...options.program,
            ...(process.argv[1] ? [process.argv[1]] : []),
          ],
          values: [...probed.values, '/proc/sys/net/ipv4/ip_unprivileged_port_start', ...cgroupValues(cgroups)],
          access: [...probed.access, ...cgroupFiles(cgroups)],
          // A running instance, or a dead one's leftovers, is the launcher's to report or clear.
          absent: [join(settings.stateDir, 'api.sock')],
          // The user's own subordinate ranges and passwd entry: other users come and go.
          userLines: { files: [...probed.userFiles, '/etc/passwd'], name: probe.user, uid: probe.uid },
        };
  return {
    kit,
    childEnv: { [CHILD_MARKER]: '1', [UNPRIVILEGED_PORT_START_ENV]: String(unprivilegedPortStart()) },
    ...(repeatable ? { repeatable } : {}),
    ...(notice ? { notice } : {}),
  };
}

/** The cgroup files whose writability decides delegation (see readCgroupState). */
function cgroupFiles(state: CgroupState): string[] {
  if (!state.v2Root || !state.cgroup) return [];
  const dir = join(state.v2Root, state.cgroup);
  return [dir, join(dir, 'cgroup.procs'), join(dir, 'cgroup.subtree_control')];
}

function cgroupValues(state: CgroupState): string[] {
  return state.v2Root && state.cgroup ? [join(state.v2Root, state.cgroup, 'cgroup.controllers')] : [];
}

/**
 * ${XDG_CACHE_HOME:-~/.cache}/k3s, created if need be, where the k3s wrapper keeps launch cache
 * entries too; undefined without a home or when it cannot be made (nothing is cached then).
 */
function launchCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  if (!base) return undefined;
  try {
    mkdirSync(join(base, 'k3s'), { recursive: true, mode: 0o700 });
    return join(base, 'k3s');
  } catch {
    return undefined;
  }
}

/**
 * Writes the launch cache entry the wrapper asked for (launch-cache.ts), or removes it when this
 * plan cannot be repeated. An entry that cannot be written costs the next start the launcher, nothing more.
 */
function rememberLaunch(plan: RootlessPlan, script: string, config: Config, env: NodeJS.ProcessEnv): void {
  const entry = launchEntryPath(env);
  if (!entry) return;
  try {
    if (!plan.repeatable) {
      dropLaunchEntry(entry);
      return;
    }
    const rewritten = writeLaunchEntry(entry, {
      inputs: plan.repeatable,
      handOver: script,
      ...(plan.notice ? { notice: plan.notice } : {}),
      description: `k3s ${config.role} --rootless, data dir ${config.dataDir}`,
    });
    // Why this start did not come from the cache, for whoever wonders where the time went.
    if (rewritten?.changed.length) logger('rootless').info({ entry, changed: rewritten.changed }, 'the launch cache entry for this command was out of date: written anew');
    else if (rewritten) logger('rootless').info({ entry }, 'the launch cache entry for this command was not used (an instance was running, or the last start from it failed): written anew');
  } catch (err) {
    logger('rootless').debug({ entry, err: (err as Error).message }, 'launch cache entry not written; the next start runs the launcher again');
  }
}

/** The shell commands that replace the wrapper with rootlesskit. */
export function handOverScript(plan: RootlessPlan): string {
  const exports = Object.entries(plan.childEnv).map(([name, value]) => `${name}=${shellQuote(value)}`);
  const argv = [plan.kit.binary ?? 'rootlesskit', ...rootlessKitArgv(plan.kit)];
  return `export ${exports.join(' ')}\nexec ${argv.map(shellQuote).join(' ')}\n`;
}

/** Writes the hand-over script to the wrapper, which evals it. */
function handOver(script: string, plan: RootlessPlan): void {
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

/** The cgroup the cluster runs in; `notice` is the warning logged; `scoped`: systemd made a scope for this start. */
interface Delegation {
  readonly state: CgroupState;
  readonly notice?: string;
  readonly scoped: boolean;
}

async function arrangeDelegation(config: Config, env: NodeJS.ProcessEnv, pids: readonly number[]): Promise<Delegation> {
  const log = logger('rootless');
  let state = readCgroupState();
  let scoped = false;
  if (state.delegated) {
    // Started by a unit with Delegate=yes (systemctl --user, systemd-run --user -p Delegate=yes).
    log.info({ cgroup: state.cgroup, controllers: state.controllers }, 'already running in a delegated cgroup v2 subtree');
  } else if (state.mode !== 'v1') {
    const unitName = `k3s-rootless-${createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8)}.scope`;
    const result = await startDelegatedScope({ unitName, pids, env });
    if (!result.ok) return degraded(state, `no delegated cgroup v2 subtree (${result.reason})`, false);
    state = readCgroupState();
    scoped = true;
    log.info({ unit: unitName, cgroup: state.cgroup, controllers: state.controllers }, 'running in a delegated cgroup scope from systemd --user');
  }
  if (state.delegated && state.controllers.length === 0) return degraded(state, 'the delegated cgroup v2 subtree offers no controllers', scoped);
  return { state, scoped };
}

function degraded(state: CgroupState, reason: string, scoped: boolean): Delegation {
  const notice = degradedModeMessage(state, reason);
  logger('rootless').warn(notice);
  return { state, notice, scoped };
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
