/** Kernel features a node needs: overlayfs for the snapshotter, br_netfilter, user namespaces. */
import { resultFor, type Check } from '../types.js';
import { kernelConfig, kernelVersion, moduleState } from './kernel-module.js';

const persist = (module: string): string => `sudo modprobe ${module} && echo ${module} | sudo tee /etc/modules-load.d/${module}.conf`;

export const overlayCheck: Check = (probe, ctx) => {
  const r = resultFor('kernel.overlay', 'kernel', 'overlay filesystem');
  const found = moduleState(probe, {
    module: 'overlay',
    configSymbol: 'CONFIG_OVERLAY_FS',
    activeWhen: (p) => (/\toverlay$/m.test(p.readFile('/proc/filesystems') ?? '') ? 'registered in /proc/filesystems' : undefined),
  });
  if (found.state === 'missing') {
    return r.need(ctx.agent, `${found.source}; containerd's default overlayfs snapshotter needs it`, 'use a kernel built with CONFIG_OVERLAY_FS (every distribution kernel has it)');
  }
  if (found.state === 'loadable') return r.warn(found.source, persist('overlay'));
  const version = kernelVersion(probe.kernelRelease);
  if (ctx.rootless && version && (version[0] < 5 || (version[0] === 5 && version[1] < 11))) {
    return r.warn(
      `${found.source}, but Linux ${probe.kernelRelease} may refuse overlayfs inside a user namespace (allowed from 5.11; some distributions patch older kernels)`,
      'use Linux 5.11 or newer for rootless overlayfs',
    );
  }
  return r.pass(found.source);
};

export const brNetfilterCheck: Check = (probe) => {
  const r = resultFor('kernel.br_netfilter', 'kernel', 'br_netfilter');
  const found = moduleState(probe, {
    module: 'br_netfilter',
    configSymbol: 'CONFIG_BRIDGE_NETFILTER',
    activeWhen: (p) => (p.stat('/proc/sys/net/bridge')?.isDirectory ? 'active (/proc/sys/net/bridge exists)' : undefined),
  });
  // Not fatal: pods still run, but traffic between pods on the same bridge bypasses Service NAT and NetworkPolicy.
  if (found.state === 'active') return r.pass(found.source);
  const why = 'without it, traffic between pods on the same bridge skips iptables: Service NAT replies and NetworkPolicy do not apply to it';
  if (found.state === 'loadable') return r.warn(`${found.source}; ${why}`, persist('br_netfilter'));
  return r.warn(`${found.source}; ${why}`, 'use a kernel built with CONFIG_BRIDGE_NETFILTER');
};

export const userNamespacesCheck: Check = (probe, ctx) => {
  const r = resultFor('kernel.userns', 'kernel', 'user namespaces');
  const purpose = ctx.rootless ? 'rootless mode runs everything inside one' : 'needed only for --rootless';
  if (!probe.stat('/proc/self/ns/user')) {
    return r.need(ctx.rootless, `the kernel has no user namespaces (CONFIG_USER_NS); ${purpose}`, 'use a kernel built with CONFIG_USER_NS=y');
  }
  const maxText = probe.readFile('/proc/sys/user/max_user_namespaces')?.trim();
  const max = maxText === undefined ? undefined : Number(maxText);
  if (max === 0) {
    return r.need(
      ctx.rootless,
      `user.max_user_namespaces is 0; ${purpose}`,
      'sudo sysctl -w user.max_user_namespaces=28633 && echo user.max_user_namespaces=28633 | sudo tee /etc/sysctl.d/51-k3s-rootless.conf',
    );
  }
  const clone = probe.readFile('/proc/sys/kernel/unprivileged_userns_clone')?.trim();
  if (clone === '0') {
    return r.need(
      ctx.rootless,
      `kernel.unprivileged_userns_clone is 0, so users may not create user namespaces; ${purpose}`,
      'sudo sysctl -w kernel.unprivileged_userns_clone=1 && echo kernel.unprivileged_userns_clone=1 | sudo tee /etc/sysctl.d/51-k3s-rootless.conf',
    );
  }
  const apparmor = probe.readFile('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')?.trim();
  if (ctx.rootless && apparmor === '1') {
    return r.warn(
      'kernel.apparmor_restrict_unprivileged_userns is 1: AppArmor denies capabilities in user namespaces to programs without a profile that allows them',
      'add an AppArmor profile with "userns," for /usr/bin/rootlesskit, or sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
    );
  }
  const parts = [`max_user_namespaces ${maxText ?? 'unknown'}`];
  if (clone !== undefined) parts.push(`unprivileged_userns_clone ${clone}`);
  return r.pass(`enabled (${parts.join(', ')})`);
};

/**
 * Kernel build options containers and pod networking rely on; each entry lists alternative
 * symbols (names changed across kernel versions). Built in (y) or as a module (m) both count.
 */
const NODE_OPTIONS: readonly (readonly string[])[] = [
  ['CONFIG_NAMESPACES'], ['CONFIG_NET_NS'], ['CONFIG_PID_NS'], ['CONFIG_IPC_NS'], ['CONFIG_UTS_NS'],
  ['CONFIG_CGROUPS'], ['CONFIG_CGROUP_CPUACCT'], ['CONFIG_CGROUP_DEVICE', 'CONFIG_CGROUP_BPF'], ['CONFIG_CGROUP_FREEZER'],
  ['CONFIG_CGROUP_SCHED'], ['CONFIG_CPUSETS'], ['CONFIG_MEMCG', 'CONFIG_CGROUP_MEM_RES_CTLR'], ['CONFIG_CGROUP_PIDS'],
  ['CONFIG_KEYS'], ['CONFIG_POSIX_MQUEUE'], ['CONFIG_VETH'], ['CONFIG_BRIDGE'],
  ['CONFIG_NF_NAT'], ['CONFIG_NF_CONNTRACK'],
  // iptables-nft needs no legacy tables when nftables with the xt compatibility layer is there.
  ['CONFIG_IP_NF_FILTER', 'CONFIG_NFT_COMPAT'], ['CONFIG_IP_NF_NAT', 'CONFIG_NFT_NAT'],
  ['CONFIG_NETFILTER_XT_TARGET_MASQUERADE', 'CONFIG_IP_NF_TARGET_MASQUERADE'], ['CONFIG_NETFILTER_XT_MATCH_ADDRTYPE'],
  ['CONFIG_NETFILTER_XT_MATCH_CONNTRACK'], ['CONFIG_NETFILTER_XT_MATCH_COMMENT'], ['CONFIG_NETFILTER_XT_MARK'],
];
const ROOTLESS_OPTIONS: readonly (readonly string[])[] = [['CONFIG_USER_NS'], ['CONFIG_TUN']];

export const kernelConfigCheck: Check = (probe, ctx) => {
  const r = resultFor('kernel.config', 'kernel', 'kernel options');
  const config = kernelConfig(probe);
  if (!config) {
    return r.warn(
      `no kernel configuration at /proc/config.gz or /boot/config-${probe.kernelRelease}: namespaces, cgroup and netfilter options were not verified`,
      'sudo modprobe configs (provides /proc/config.gz), or install the kernel package that ships /boot/config-*',
    );
  }
  const set = new Set([...config.text.matchAll(/^(CONFIG_[A-Z0-9_]+)=[ym]$/gm)].map((m) => m[1]!));
  const wanted = ctx.rootless ? [...NODE_OPTIONS, ...ROOTLESS_OPTIONS] : NODE_OPTIONS;
  const missing = wanted.filter((alternatives) => !alternatives.some((o) => set.has(o))).map((alternatives) => alternatives.join(' or '));
  if (missing.length === 0) return r.pass(`all ${wanted.length} required options set (${config.path})`);
  return r.need(
    ctx.agent || ctx.rootless,
    `${config.path} lacks ${missing.join(', ')}`,
    'use a kernel with these options built in or as modules (distribution kernels have them all)',
  );
};
