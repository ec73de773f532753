/**
 * What a rootlesskit instance should look like, and the argv that asks rootlesskit 1.x for it.
 * Only the knobs k3s needs, each typed; everything else keeps rootlesskit's default.
 */

export type PortDriver = 'builtin' | 'slirp4netns' | 'none';

export interface RootlessKitSettings {
  /** Where rootlesskit keeps api.sock, child_pid and its lock (one instance per directory). */
  readonly stateDir: string;
  /** The command run as the child, inside the namespaces. */
  readonly command: readonly string[];
  readonly net: 'slirp4netns' | 'host';
  /** Interface MTU inside the namespace; rootlesskit's own default for slirp4netns is 65520. */
  readonly mtu?: number;
  /** slirp4netns network, e.g. 10.41.0.0/16 (the child gets .100, gateway .2, DNS .3). */
  readonly cidr?: string;
  readonly disableHostLoopback?: boolean;
  readonly ipv6?: boolean;
  readonly portDriver?: PortDriver;
  /** Directories made writable in the child by copy-up (tmpfs+symlink). */
  readonly copyUpDirs?: readonly string[];
  readonly propagation?: 'rprivate' | 'rslave';
  /** New PID, cgroup, UTS and IPC namespaces (k3s uses all four). */
  readonly pidns?: boolean;
  readonly cgroupns?: boolean;
  readonly utsns?: boolean;
  readonly ipcns?: boolean;
  /**
   * Where rootlesskit looks up the user's subordinate ids: 'static' reads /etc/subuid and
   * /etc/subgid itself; 'dynamic' runs getsubids (four runs: uid and gid, by name and by number);
   * rootlesskit's own default, 'auto', is dynamic whenever getsubids is installed. The flag
   * exists since rootlesskit 1.1.0 (SUBID_SOURCE_SINCE); older releases only read the files.
   */
  readonly subidSource?: 'auto' | 'dynamic' | 'static';
  /** Move the child's processes into this cgroup v2 subgroup (needs a writable cgroup2 dir). */
  readonly evacuateCgroup2?: string;
  readonly debug?: boolean;
  readonly binary?: string;
  readonly slirp4netnsBinary?: string;
}

export function rootlessKitArgv(settings: RootlessKitSettings): string[] {
  if (settings.command.length === 0) throw new Error('rootlesskit needs a child command');
  const args: string[] = [`--state-dir=${settings.stateDir}`, `--net=${settings.net}`];
  if (settings.net === 'slirp4netns') {
    if (settings.mtu !== undefined) args.push(`--mtu=${settings.mtu}`);
    if (settings.cidr !== undefined) args.push(`--cidr=${settings.cidr}`);
    if (settings.disableHostLoopback) args.push('--disable-host-loopback');
    if (settings.ipv6) args.push('--ipv6');
    if (settings.slirp4netnsBinary) args.push(`--slirp4netns-binary=${settings.slirp4netnsBinary}`);
    args.push(`--port-driver=${settings.portDriver ?? 'builtin'}`);
  }
  for (const dir of settings.copyUpDirs ?? []) args.push(`--copy-up=${dir}`);
  if (settings.propagation) args.push(`--propagation=${settings.propagation}`);
  if (settings.pidns) args.push('--pidns');
  if (settings.cgroupns) args.push('--cgroupns');
  if (settings.utsns) args.push('--utsns');
  if (settings.ipcns) args.push('--ipcns');
  if (settings.subidSource) args.push(`--subid-source=${settings.subidSource}`);
  if (settings.evacuateCgroup2) args.push(`--evacuate-cgroup2=${settings.evacuateCgroup2}`);
  if (settings.debug) args.push('--debug');
  return [...args, ...settings.command];
}
