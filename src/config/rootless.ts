/**
 * The documented K3S_ROOTLESS_* settings, parsed and validated in one place. Upstream logs a
 * warning and falls back on a bad value; we fail fast and name the variable, since a silently
 * different network is harder to debug than an error.
 */
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { ipv4HostBitsZero, parseCidr } from './net.js';
import { splitList } from './sources.js';
import type { RootlessConfig } from './types.js';

export const ROOTLESS_ENV = {
  mtu: 'K3S_ROOTLESS_MTU',
  cidr: 'K3S_ROOTLESS_CIDR',
  enableIPv6: 'K3S_ROOTLESS_ENABLE_IPV6',
  portDriver: 'K3S_ROOTLESS_PORT_DRIVER',
  disableHostLoopback: 'K3S_ROOTLESS_DISABLE_HOST_LOOPBACK',
  copyUpDirs: 'K3S_ROOTLESS_COPYUPDIRS',
} as const;

/** What the child always needs writable, as upstream: containerd and CNI state, logs, /etc. */
export const DEFAULT_COPY_UP_DIRS = ['/etc', '/run', '/var/lib', '/var/log'] as const;

export function rootlessConfig(env: NodeJS.ProcessEnv, dataDir: string): RootlessConfig {
  const fail = (name: string, problem: string): never => {
    throw new ConfigError(`${name}=${JSON.stringify(env[name])}: ${problem}`);
  };
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  let mtu = 1500;
  const mtuText = text(ROOTLESS_ENV.mtu);
  if (mtuText !== undefined) {
    if (!/^\d+$/.test(mtuText)) fail(ROOTLESS_ENV.mtu, 'must be a whole number of bytes, e.g. 1500');
    mtu = Number(mtuText);
    // 1280 is the IPv6 minimum; 65520 is slirp4netns's maximum.
    if (mtu < 1280 || mtu > 65520) fail(ROOTLESS_ENV.mtu, 'must be between 1280 and 65520');
  }

  const cidr = text(ROOTLESS_ENV.cidr) ?? '10.41.0.0/16';
  const parsed = parseCidr(cidr);
  if (!parsed || parsed.family !== 4) fail(ROOTLESS_ENV.cidr, 'must be an IPv4 CIDR such as 10.41.0.0/16');
  if (!ipv4HostBitsZero(parsed!)) fail(ROOTLESS_ENV.cidr, `host bits must be zero (e.g. ${cidr.replace(/\.\d+\//, '.0/')})`);
  if (parsed!.prefix > 25) fail(ROOTLESS_ENV.cidr, 'must be /25 or larger: slirp4netns puts the child at .100');

  const bool = (name: string, fallback: boolean | 'auto'): boolean | 'auto' => {
    const value = text(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    if (value === 'auto' && fallback === 'auto') return 'auto';
    return fail(name, 'must be true or false');
  };

  const portDriver = (text(ROOTLESS_ENV.portDriver) ?? 'builtin').toLowerCase();
  if (portDriver !== 'builtin' && portDriver !== 'slirp4netns') {
    fail(ROOTLESS_ENV.portDriver, 'must be "builtin" (faster; the client address is masqueraded) or "slirp4netns" (keeps the client address)');
  }

  const extra = splitList(text(ROOTLESS_ENV.copyUpDirs) ?? '');
  for (const dir of extra) if (!dir.startsWith('/')) fail(ROOTLESS_ENV.copyUpDirs, `"${dir}" is not an absolute path`);

  return {
    mtu,
    cidr,
    enableIPv6: bool(ROOTLESS_ENV.enableIPv6, 'auto'),
    portDriver: portDriver as RootlessConfig['portDriver'],
    disableHostLoopback: bool(ROOTLESS_ENV.disableHostLoopback, true) === true,
    copyUpDirs: [...new Set([...DEFAULT_COPY_UP_DIRS, ...extra])],
    stateDir: join(dataDir, 'rootless'),
  };
}
