import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brNetfilterCheck, kernelConfigCheck, overlayCheck, userNamespacesCheck } from '../../../src/preflight/checks/kernel.js';
import { debianHost, probeOf } from './fake-machine.js';

const node = { rootless: false, agent: true };
const rootless = { rootless: true, agent: true };

test('overlay registered in /proc/filesystems passes', () => {
  const r = overlayCheck(probeOf(debianHost()), node);
  assert.equal(r?.status, 'pass');
  assert.match(r!.detail, /\/proc\/filesystems/);
});

test('overlay available as a module but not loaded warns with the modprobe to run', () => {
  const m = debianHost();
  m.files['/proc/filesystems'] = 'nodev\tsysfs\n\text4\n';
  m.files['/lib/modules/6.1.0-18-amd64/modules.dep'] = 'kernel/fs/overlayfs/overlay.ko.xz: \n';
  const r = overlayCheck(probeOf(m), node);
  assert.equal(r?.status, 'warn');
  assert.match(r!.fix!, /modprobe overlay/);
});

test('overlay built in according to /proc/config.gz passes', () => {
  const m = debianHost();
  m.files['/proc/filesystems'] = 'nodev\tsysfs\n';
  m.gzipFiles['/proc/config.gz'] = 'CONFIG_USER_NS=y\nCONFIG_OVERLAY_FS=y\n';
  const r = overlayCheck(probeOf(m), node);
  assert.equal(r?.status, 'pass');
  assert.match(r!.detail, /CONFIG_OVERLAY_FS=y/);
});

test('a kernel without overlay fails when a node agent will run', () => {
  const m = debianHost();
  m.files['/proc/filesystems'] = 'nodev\tsysfs\n';
  m.files['/boot/config-6.1.0-18-amd64'] = '# CONFIG_OVERLAY_FS is not set\n';
  const r = overlayCheck(probeOf(m), node);
  assert.equal(r?.status, 'fail');
  assert.match(r!.detail, /CONFIG_OVERLAY_FS is not set in \/boot\/config-6\.1\.0-18-amd64/);
  assert.equal(overlayCheck(probeOf(m), { rootless: false, agent: false })?.status, 'warn');
});

test('rootless on a kernel older than 5.11 warns that overlayfs may be refused in a user namespace', () => {
  const m = debianHost();
  m.kernelRelease = '5.10.0-28-amd64';
  assert.equal(overlayCheck(probeOf(m), rootless)?.status, 'warn');
  assert.equal(overlayCheck(probeOf(m), node)?.status, 'pass');
});

test('br_netfilter: active passes, loadable warns with modprobe, absent warns', () => {
  assert.equal(brNetfilterCheck(probeOf(debianHost()), node)?.status, 'pass');
  const m = debianHost();
  delete m.dirs['/proc/sys/net/bridge'];
  m.files['/lib/modules/6.1.0-18-amd64/modules.dep'] = 'kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko\n';
  const loadable = brNetfilterCheck(probeOf(m), node);
  assert.equal(loadable?.status, 'warn');
  assert.match(loadable!.fix!, /sudo modprobe br_netfilter/);
  m.files['/lib/modules/6.1.0-18-amd64/modules.dep'] = '';
  assert.equal(brNetfilterCheck(probeOf(m), node)?.status, 'warn');
});

test('br_netfilter loaded as a module (in /proc/modules) passes', () => {
  const m = debianHost();
  delete m.dirs['/proc/sys/net/bridge'];
  m.files['/proc/modules'] = 'br_netfilter 32768 0 - Live 0x0000000000000000\nbridge 311296 1 br_netfilter, Live 0x0\n';
  assert.equal(brNetfilterCheck(probeOf(m), node)?.status, 'pass');
});

test('max_user_namespaces 0 fails rootless with the sysctl to set, and only warns for a root node', () => {
  const m = debianHost();
  m.files['/proc/sys/user/max_user_namespaces'] = '0\n';
  const r = userNamespacesCheck(probeOf(m), rootless);
  assert.equal(r?.status, 'fail');
  assert.match(r!.fix!, /sysctl -w user\.max_user_namespaces=28633/);
  assert.equal(userNamespacesCheck(probeOf(m), node)?.status, 'warn');
});

test('kernel.unprivileged_userns_clone=0 fails rootless', () => {
  const m = debianHost();
  m.files['/proc/sys/kernel/unprivileged_userns_clone'] = '0\n';
  const r = userNamespacesCheck(probeOf(m), rootless);
  assert.equal(r?.status, 'fail');
  assert.match(r!.fix!, /kernel\.unprivileged_userns_clone=1/);
});

test('AppArmor restricting unprivileged user namespaces warns rootless', () => {
  const m = debianHost();
  m.files['/proc/sys/kernel/apparmor_restrict_unprivileged_userns'] = '1\n';
  assert.equal(userNamespacesCheck(probeOf(m), rootless)?.status, 'warn');
  assert.equal(userNamespacesCheck(probeOf(m), node)?.status, 'pass');
});

test('a kernel without user namespaces fails rootless', () => {
  const m = debianHost();
  delete m.dirs['/proc/self/ns/user'];
  assert.equal(userNamespacesCheck(probeOf(m), rootless)?.status, 'fail');
});

const FULL_CONFIG = [
  'CONFIG_NAMESPACES=y', 'CONFIG_NET_NS=y', 'CONFIG_PID_NS=y', 'CONFIG_IPC_NS=y', 'CONFIG_UTS_NS=y', 'CONFIG_USER_NS=y',
  'CONFIG_CGROUPS=y', 'CONFIG_CGROUP_CPUACCT=y', 'CONFIG_CGROUP_BPF=y', 'CONFIG_CGROUP_FREEZER=y', 'CONFIG_CGROUP_SCHED=y',
  'CONFIG_CPUSETS=y', 'CONFIG_MEMCG=y', 'CONFIG_CGROUP_PIDS=y', 'CONFIG_KEYS=y', 'CONFIG_POSIX_MQUEUE=y', 'CONFIG_VETH=m',
  'CONFIG_BRIDGE=m', 'CONFIG_NF_NAT=m', 'CONFIG_NF_CONNTRACK=m', 'CONFIG_IP_NF_FILTER=m', 'CONFIG_IP_NF_NAT=m',
  'CONFIG_IP_NF_TARGET_MASQUERADE=m', 'CONFIG_NETFILTER_XT_MATCH_ADDRTYPE=m', 'CONFIG_NETFILTER_XT_MATCH_CONNTRACK=m',
  'CONFIG_NETFILTER_XT_MATCH_COMMENT=m', 'CONFIG_NETFILTER_XT_MARK=m', 'CONFIG_TUN=m',
].join('\n');

test('kernel options: all present (y or m, either alternative name) passes', () => {
  const m = debianHost();
  m.files['/boot/config-6.1.0-18-amd64'] = `${FULL_CONFIG}\n`;
  const r = kernelConfigCheck(probeOf(m), rootless);
  assert.equal(r?.status, 'pass');
  assert.match(r!.detail, /all 28 required options set \(\/boot\/config-6\.1\.0-18-amd64\)/);
});

test('kernel options: a missing one fails naming it; without any kernel config it warns', () => {
  const m = debianHost();
  m.gzipFiles['/proc/config.gz'] = FULL_CONFIG.replace('CONFIG_VETH=m', '# CONFIG_VETH is not set').replace('CONFIG_TUN=m', '');
  const node = kernelConfigCheck(probeOf(m), { rootless: false, agent: true });
  assert.equal(node?.status, 'fail');
  assert.match(node!.detail, /\/proc\/config\.gz lacks CONFIG_VETH$/);
  assert.match(kernelConfigCheck(probeOf(m), rootless)!.detail, /lacks CONFIG_VETH, CONFIG_TUN$/);
  const none = kernelConfigCheck(probeOf(debianHost()), rootless);
  assert.equal(none?.status, 'warn');
  assert.match(none!.fix!, /modprobe configs/);
});
