import assert from 'node:assert/strict';
import { test } from 'node:test';
import { degradedModeMessage, enableControllers, readCgroupState, type CgroupHost } from '../../../src/rootless/cgroups.js';

function fakeHost(files: Record<string, string>, writable: string[]): CgroupHost & { writes: [string, string][]; dirs: string[] } {
  const writes: [string, string][] = [];
  const dirs: string[] = [];
  return {
    writes,
    dirs,
    readFile: (p) => {
      const v = files[p];
      if (v === undefined) throw new Error(`ENOENT ${p}`);
      return v;
    },
    writable: (p) => writable.includes(p),
    writeFile: (p, d) => void writes.push([p, d]),
    mkdir: (p) => void dirs.push(p),
  };
}

const HYBRID_MOUNTS = [
  '30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const V2_MOUNTS = '29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate';

test('a delegated systemd scope on a cgroup v2 host offers its controllers', () => {
  const dir = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/k3s.scope';
  const host = fakeHost(
    { '/m': V2_MOUNTS, '/c': '0::/user.slice/user-1000.slice/user@1000.service/app.slice/k3s.scope\n', [`${dir}/cgroup.controllers`]: 'cpuset cpu io memory pids\n' },
    [dir, `${dir}/cgroup.procs`, `${dir}/cgroup.subtree_control`],
  );
  const state = readCgroupState(host, '/c', '/m');
  assert.deepEqual(state, { mode: 'v2', v2Root: '/sys/fs/cgroup', cgroup: '/user.slice/user-1000.slice/user@1000.service/app.slice/k3s.scope', delegated: true, controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] });
});

test('a hybrid host is detected, and a root-owned cgroup is not delegated', () => {
  const host = fakeHost({ '/m': HYBRID_MOUNTS, '/c': '4:memory:/\n0::/\n', '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n' }, []);
  const state = readCgroupState(host, '/c', '/m');
  assert.equal(state.mode, 'hybrid');
  assert.equal(state.delegated, false);
  assert.match(degradedModeMessage(state, ''), /hybrid cgroups.*To fix: boot with cgroup v2/);
});

test('enabling controllers first moves our processes into a leaf, then writes subtree_control', () => {
  const dir = '/sys/fs/cgroup/x.scope';
  const host = fakeHost({ [`${dir}/cgroup.procs`]: '10\n11\n' }, []);
  const result = enableControllers(dir, ['cpu', 'memory', 'pids', 'hugetlb'], host);
  assert.deepEqual(result, { enabled: ['cpu', 'memory', 'pids'], missing: ['cpuset', 'io'] });
  assert.deepEqual(host.dirs, [`${dir}/init`]);
  assert.deepEqual(host.writes, [
    [`${dir}/init/cgroup.procs`, '10'],
    [`${dir}/init/cgroup.procs`, '11'],
    [`${dir}/cgroup.subtree_control`, '+cpu +memory +pids'],
  ]);
});

test('no wanted controllers offered: nothing is written', () => {
  const host = fakeHost({}, []);
  assert.deepEqual(enableControllers('/d', ['hugetlb'], host), { enabled: [], missing: ['cpu', 'memory', 'pids', 'cpuset', 'io'] });
  assert.deepEqual(host.writes, []);
});
