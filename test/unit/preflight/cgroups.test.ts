import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cgroupsCheck } from '../../../src/preflight/checks/cgroups.js';
import { debianHost, probeOf, V2_MOUNTINFO } from './fake-machine.js';

function unifiedHost(cgroup: string, controllers: string) {
  const m = debianHost();
  m.files['/proc/self/mountinfo'] = V2_MOUNTINFO;
  m.files['/proc/self/cgroup'] = `0::${cgroup}\n`;
  m.files['/sys/fs/cgroup/cgroup.controllers'] = 'cpuset cpu io memory hugetlb pids rdma misc\n';
  m.files[`/sys/fs/cgroup${cgroup}/cgroup.controllers`] = `${controllers}\n`;
  return m;
}

test('hybrid host as root: reports the mode and the v1 controllers, and passes', () => {
  const r = cgroupsCheck(probeOf(debianHost()), { rootless: false, agent: true });
  assert.equal(r?.status, 'pass');
  assert.match(r!.detail, /hybrid cgroups \(v1 controllers, cgroup2 at \/sys\/fs\/cgroup\/unified\); controllers: cpu memory pids$/);
});

test('hybrid host rootless: warns that limits are not enforced, with the fix', () => {
  const r = cgroupsCheck(probeOf(debianHost()), { rootless: true, agent: true });
  assert.equal(r?.status, 'warn');
  assert.match(r!.detail, /hybrid/);
  assert.match(r!.fix!, /systemd\.unified_cgroup_hierarchy=1/);
});

test('cgroup v2 with a delegated subtree offering cpu, memory and pids passes rootless', () => {
  const cg = '/user.slice/user-1000.slice/user@1000.service/app.slice/k3s.scope';
  const m = unifiedHost(cg, 'cpu memory pids');
  m.writable.push(`/sys/fs/cgroup${cg}`, `/sys/fs/cgroup${cg}/cgroup.procs`, `/sys/fs/cgroup${cg}/cgroup.subtree_control`);
  const r = cgroupsCheck(probeOf(m), { rootless: true, agent: true });
  assert.equal(r?.status, 'pass');
  assert.match(r!.detail, /cgroup v2 \(unified, at \/sys\/fs\/cgroup\); delegated subtree .*k3s\.scope offers: cpu memory pids/);
});

test('cgroup v2 not delegated: warns rootless that k3s will ask systemd --user for a scope', () => {
  const r = cgroupsCheck(probeOf(unifiedHost('/user.slice/user-1000.slice/session-1.scope', 'cpu memory pids')), { rootless: true, agent: true });
  assert.equal(r?.status, 'warn');
  assert.match(r!.detail, /not delegated to this user/);
  assert.match(r!.fix!, /Delegate=yes/);
});

test('cgroup v2 delegated without memory warns rootless naming the missing controller', () => {
  const cg = '/user.slice/user-1000.slice/user@1000.service';
  const m = unifiedHost(cg, 'cpu pids');
  m.writable.push(`/sys/fs/cgroup${cg}`, `/sys/fs/cgroup${cg}/cgroup.procs`, `/sys/fs/cgroup${cg}/cgroup.subtree_control`);
  const r = cgroupsCheck(probeOf(m), { rootless: true, agent: true });
  assert.equal(r?.status, 'warn');
  assert.match(r!.detail, /lacks memory/);
});

test('a host without the memory controller fails for a node agent with the kernel command line fix', () => {
  const m = debianHost();
  m.files['/proc/cgroups'] = '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t1\t1\nmemory\t0\t1\t0\npids\t8\t1\t1\n';
  const r = cgroupsCheck(probeOf(m), { rootless: false, agent: true });
  assert.equal(r?.status, 'fail');
  assert.match(r!.fix!, /cgroup_memory=1 cgroup_enable=memory/);
  assert.equal(cgroupsCheck(probeOf(m), { rootless: false, agent: false })?.status, 'warn');
});

test('cgroup v2 root node uses the root cgroup.controllers', () => {
  const r = cgroupsCheck(probeOf(unifiedHost('/', 'cpu memory pids')), { rootless: false, agent: true });
  assert.equal(r?.status, 'pass');
  assert.match(r!.detail, /controllers: cpuset cpu io memory hugetlb pids rdma misc/);
});

test('hybrid host with a delegated (writable) v2 subtree: says delegated, and that it offers no controllers', () => {
  const m = debianHost();
  const dir = '/sys/fs/cgroup/unified/user.slice';
  m.writable.push(dir, `${dir}/cgroup.procs`, `${dir}/cgroup.subtree_control`);
  const r = cgroupsCheck(probeOf(m), { rootless: true, agent: true });
  assert.equal(r?.status, 'warn');
  assert.match(r!.detail, /^hybrid cgroups .*; delegated subtree \/user\.slice offers: no controllers; .*hybrid cgroups: cpu, memory and pids are bound to the v1 hierarchy/);
});
