import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conflist } from '../../../src/agent/cni/conflist.js';
import { containerdConfigToml, containerdPaths, hasCapSysResource } from '../../../src/agent/containerd/index.js';
import { nextPodCidr } from '../../../src/agent/node/pod-cidr.js';
import { parseLabel, parseTaint } from '../../../src/agent/node/node-object.js';

test('containerd config: rootless settings only when rootless; oom_score_adj restricted without CAP_SYS_RESOURCE', () => {
  const paths = containerdPaths('/data', { rootless: false });
  const root = containerdConfigToml({ paths, sandboxImage: 'pause:1', snapshotter: 'overlayfs', rootless: false, restrictOomScoreAdj: false });
  assert.match(root, /sandbox_image = "pause:1"/);
  assert.match(root, /SystemdCgroup = false/);
  assert.match(root, /snapshotter = "overlayfs"/);
  assert.doesNotMatch(root, /disable_cgroup|restrict_oom_score_adj/);
  const vm = containerdConfigToml({ paths, sandboxImage: 'pause:1', snapshotter: 'overlayfs', rootless: false, restrictOomScoreAdj: true });
  assert.match(vm, /restrict_oom_score_adj = true/);
  assert.doesNotMatch(vm, /disable_cgroup/);
  const rootless = containerdConfigToml({ paths: containerdPaths('/home/u/.rancher/k3s', { rootless: true }), sandboxImage: 'pause:1', snapshotter: 'overlayfs', rootless: true, restrictOomScoreAdj: false });
  for (const key of ['disable_cgroup', 'disable_apparmor', 'restrict_oom_score_adj', 'disable_hugetlb_controller']) assert.match(rootless, new RegExp(`${key} = true`));
  assert.match(rootless, /address = "\/home\/u\/\.rancher\/k3s\/agent\/run\/containerd\/containerd\.sock"/);
});

test('containerd paths: upstream /run/k3s for the default root data dir, inside the data dir otherwise', () => {
  assert.equal(containerdPaths('/var/lib/rancher/k3s', { rootless: false, defaultDataDir: true }).socket, '/run/k3s/containerd/containerd.sock');
  assert.equal(containerdPaths('/tmp/x', { rootless: false }).socket, '/tmp/x/agent/run/containerd/containerd.sock');
  assert.equal(containerdPaths('/var/lib/rancher/k3s', { rootless: false }).configFile, '/var/lib/rancher/k3s/agent/etc/containerd/config.toml');
});

test('CAP_SYS_RESOURCE is read from CapEff', () => {
  assert.equal(hasCapSysResource('CapEff:\t000001ffffffffff\n'), true);
  assert.equal(hasCapSysResource('CapEff:\t000001fffeffffff\n'), false);
});

test('pod CIDRs: the first free /24 of the cluster CIDR, and a clear error when none is left', () => {
  assert.equal(nextPodCidr('10.42.0.0/16', new Set()), '10.42.0.0/24');
  assert.equal(nextPodCidr('10.42.0.0/16', new Set(['10.42.0.0/24', '10.42.1.0/24'])), '10.42.2.0/24');
  assert.throws(() => nextPodCidr('10.42.0.0/24', new Set(['10.42.0.0/24'])), /no free \/24/);
  assert.throws(() => nextPodCidr('fd00::/64', new Set()), /IPv4/);
});

test('CNI conflist: bridge with host-local on the pod CIDR (gateway .1, default route), then portmap', () => {
  const c = conflist({ podCidr: '10.42.3.0/24', bridge: 'cni0', mtu: 1400, ipamDataDir: '/run/cni' }) as { plugins: Record<string, unknown>[] };
  assert.equal(c.plugins[0]!['type'], 'bridge');
  assert.equal(c.plugins[0]!['mtu'], 1400);
  // The agent masquerades the pod CIDR once (cni/masquerade.ts): no iptables chain per pod.
  assert.equal(c.plugins[0]!['ipMasq'], false);
  assert.deepEqual((c.plugins[0]!['ipam'] as { ranges: unknown }).ranges, [[{ subnet: '10.42.3.0/24', gateway: '10.42.3.1' }]]);
  assert.equal(c.plugins[1]!['type'], 'portmap');
});

test('--node-taint and --node-label syntax', () => {
  assert.deepEqual(parseTaint('dedicated=gpu:NoSchedule'), { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' });
  assert.deepEqual(parseTaint('maintenance:NoExecute'), { key: 'maintenance', effect: 'NoExecute' });
  assert.throws(() => parseTaint('a=b'), /key=value:Effect/);
  assert.deepEqual(parseLabel('tier=web'), ['tier', 'web']);
  assert.throws(() => parseLabel('=x'), /key=value/);
});
