/**
 * Which side of the rootless boundary this process is on, told apart by a private environment
 * marker the launcher sets for the child it starts under rootlesskit (as upstream k3s does with
 * _K3S_ROOTLESS_*): the parent runs on the host as the user; the child runs inside the user,
 * mount, network, PID, UTS, IPC and cgroup namespaces as uid 0 and is the real server.
 */
export const CHILD_MARKER = '_K3S_ROOTLESS_CHILD';

/** The host's net.ipv4.ip_unprivileged_port_start, passed by the launcher (sysctls are per network namespace). */
export const UNPRIVILEGED_PORT_START_ENV = '_K3S_ROOTLESS_UNPRIVILEGED_PORT_START';

export type RootlessRole = 'parent' | 'child';

export function rootlessRole(env: NodeJS.ProcessEnv): RootlessRole {
  return env[CHILD_MARKER] === '1' && env.ROOTLESSKIT_STATE_DIR ? 'child' : 'parent';
}

/**
 * The identity configuration defaults follow: inside the namespaces we are uid 0, but paths
 * (data dir, kubeconfig, config file) must be those of the user who started us.
 */
export function effectiveUid(env: NodeJS.ProcessEnv, uid: number): number {
  if (rootlessRole(env) === 'child') {
    const parent = Number(env.ROOTLESSKIT_PARENT_EUID);
    if (Number.isInteger(parent) && parent > 0) return parent;
  }
  return uid;
}
