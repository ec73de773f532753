/**
 * A described machine for preflight unit tests: a healthy Debian 12 host (hybrid cgroups, the
 * packages installed, a user with subordinate ranges) that each test changes in one place.
 */
import { basename } from 'node:path';
import type { CommandResult, FileInfo, Probe } from '../../../src/preflight/index.js';

export interface Executable {
  readonly mode?: number;
  readonly uid?: number;
  readonly run?: (args: readonly string[]) => CommandResult;
}

export interface FakeMachine {
  uid: number;
  user: string;
  home: string;
  kernelRelease: string;
  env: Record<string, string>;
  files: Record<string, string>;
  gzipFiles: Record<string, string>;
  dirs: Record<string, string[]>;
  /** Character devices and whether this user can open them (true, or the errno code). */
  devices: Record<string, { mode: number; open: true | string }>;
  sockets: string[];
  writable: string[];
  executables: Record<string, Executable>;
}

const ok = (stdout: string): (() => CommandResult) => () => ({ code: 0, stdout, stderr: '' });

const HYBRID_MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

export const V2_MOUNTINFO = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate';

export function debianHost(): FakeMachine {
  return {
    uid: 1000,
    user: 'alice',
    home: '/home/alice',
    kernelRelease: '6.1.0-18-amd64',
    env: { PATH: '/usr/bin:/bin', HOME: '/home/alice', USER: 'alice' },
    files: {
      '/proc/filesystems': 'nodev\tsysfs\nnodev\tcgroup2\n\text4\nnodev\toverlay\n',
      '/proc/sys/user/max_user_namespaces': '63704\n',
      '/proc/self/mountinfo': HYBRID_MOUNTINFO,
      '/proc/self/cgroup': '4:memory:/\n1:cpu:/\n0::/user.slice\n',
      '/proc/cgroups': '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t1\t1\nmemory\t4\t1\t1\npids\t8\t1\t1\nhugetlb\t0\t1\t1\n',
      '/sys/fs/cgroup/unified/user.slice/cgroup.controllers': '\n',
      '/proc/sys/net/ipv4/ip_unprivileged_port_start': '1024\n',
      '/etc/subuid': 'alice:100000:65536\nbob:165536:65536\n',
      '/etc/subgid': 'alice:100000:65536\nbob:165536:65536\n',
    },
    gzipFiles: {},
    dirs: {
      '/proc/sys/net/bridge': ['bridge-nf-call-iptables'],
      '/proc/self/ns/user': [],
      '/usr/lib/cni': ['bandwidth', 'bridge', 'host-local', 'loopback', 'portmap'],
    },
    devices: { '/dev/net/tun': { mode: 0o20666, open: true } },
    sockets: [],
    writable: [],
    executables: {
      '/usr/bin/containerd': { run: ok('containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n') },
      '/usr/sbin/runc': { run: ok('runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n') },
      '/usr/sbin/iptables': { run: ok('iptables v1.8.9 (nf_tables)\n') },
      '/usr/bin/rootlesskit': { run: ok('rootlesskit version 1.1.0\n') },
      '/usr/bin/slirp4netns': { run: ok('slirp4netns version 1.2.0\ncommit: 656041d\n') },
      '/usr/bin/newuidmap': { mode: 0o104755, uid: 0 },
      '/usr/bin/newgidmap': { mode: 0o104755, uid: 0 },
      '/usr/lib/cni/bridge': { run: ok('CNI bridge plugin v1.1.1\n') },
      '/usr/bin/systemctl': { run: () => ({ code: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found\n' }) },
    },
  };
}

export function probeOf(m: FakeMachine): Probe {
  const info = (path: string): FileInfo | undefined => {
    const base = { mode: 0o100644, uid: 0, isFile: false, isDirectory: false, isCharacterDevice: false, isSocket: false };
    if (path in m.files) return { ...base, isFile: true };
    if (path in m.dirs) return { ...base, mode: 0o40755, isDirectory: true };
    const device = m.devices[path];
    if (device) return { ...base, mode: device.mode, isCharacterDevice: true };
    if (m.sockets.includes(path)) return { ...base, mode: 0o140777, uid: m.uid, isSocket: true };
    const exe = m.executables[path];
    if (exe) return { ...base, mode: exe.mode ?? 0o100755, uid: exe.uid ?? 0, isFile: true };
    return undefined;
  };
  return {
    env: m.env,
    uid: m.uid,
    user: m.user,
    home: m.home,
    kernelRelease: m.kernelRelease,
    readFile: (path) => m.files[path],
    readGzipFile: (path) => m.gzipFiles[path],
    stat: info,
    readDir: (path) => m.dirs[path],
    writable: (path) => m.writable.includes(path),
    openReadWrite: (path) => {
      const device = m.devices[path];
      if (!device) return { ok: false, code: 'ENOENT' };
      return device.open === true ? { ok: true } : { ok: false, code: device.open };
    },
    which: (command) => Object.keys(m.executables).find((path) => basename(path) === command && !path.startsWith('/usr/lib/cni/')),
    run: (command, args) => m.executables[command]?.run?.(args),
  };
}
