/**
 * The rootless launcher (parent side): checks what rootless mode needs, arranges cgroup v2
 * delegation, then re-executes this same k3s command as the child of rootlesskit with
 * slirp4netns networking, and stays as the process a user or systemd stops. SIGTERM/SIGINT stop
 * rootlesskit, which tears down the namespaces, the child tree and slirp4netns.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RootlessKitClient, startRootlessKit, type RootlessKitSettings } from '../../rootlesskit/index.js';
import { ConfigError, type Config } from '../config/index.js';
import { logger } from '../log/index.js';
import { assertPreflight } from '../preflight/index.js';
import { degradedModeMessage, readCgroupState, type CgroupState } from './cgroups.js';
import { UNPRIVILEGED_PORT_START_ENV } from './port-forwarder.js';
import { CHILD_MARKER } from './roles.js';
import { startDelegatedScope } from './systemd-scope.js';

/** Subgroup rootlesskit moves the child's processes into, so the child may enable controllers. */
export const EVACUATION_CGROUP = 'k3s_evac';

export interface LaunchOptions {
  /** The command line to re-run inside (node, the CLI script, the original arguments). */
  readonly command: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export async function runRootlessLauncher(config: Config, options: LaunchOptions): Promise<number> {
  const log = logger('rootless');
  const settings = config.rootlessSettings;
  mkdirSync(settings.stateDir, { recursive: true, mode: 0o700 });
  await refuseSecondInstance(settings.stateDir, config.dataDir);
  // Everything rootlesskit would otherwise fail on obscurely (subuid ranges, newuidmap, tun,
  // user namespaces, missing binaries), each with its fix, before anything starts.
  assertPreflight(config, 'rootless');

  const cgroups = await arrangeDelegation(config, options.env);
  const delegatedWithControllers = cgroups.delegated && cgroups.controllers.length > 0;
  const kitSettings: RootlessKitSettings = {
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
    ...(delegatedWithControllers ? { evacuateCgroup2: EVACUATION_CGROUP } : {}),
    command: options.command,
  };
  const env = { ...options.env, [CHILD_MARKER]: '1', [UNPRIVILEGED_PORT_START_ENV]: String(unprivilegedPortStart()) };
  const started = performance.now();
  const kit = await startRootlessKit(kitSettings, { env });
  log.info(
    { ms: Math.round(performance.now() - started), childPID: kit.info.childPID, mtu: settings.mtu, cidr: settings.cidr, portDriver: settings.portDriver, stateDir: settings.stateDir },
    'rootlesskit is up; the server runs inside its namespaces',
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

async function arrangeDelegation(config: Config, env: NodeJS.ProcessEnv): Promise<CgroupState> {
  const log = logger('rootless');
  let state = readCgroupState();
  if (state.delegated) {
    // Started by a unit with Delegate=yes (systemctl --user, systemd-run --user -p Delegate=yes).
    log.info({ cgroup: state.cgroup, controllers: state.controllers }, 'already running in a delegated cgroup v2 subtree');
  } else if (state.mode !== 'v1') {
    const unitName = `k3s-rootless-${createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8)}.scope`;
    const result = await startDelegatedScope({ unitName, pid: process.pid, env });
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
