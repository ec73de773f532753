import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findInstances, serviceUnit, type ProcEntry } from '../../../src/rootless/killall.js';

const proc = (pid: number, ppid: number, uid: number, comm: string, argv: string[], extra: Partial<ProcEntry> = {}): ProcEntry => ({ pid, ppid, uid, comm, argv, pidns: undefined, cgroup: undefined, ...extra });

test("findInstances picks the user's rootlesskit running k3s --rootless, not other users' or other rootlesskits", () => {
  const k3sKit = ['rootlesskit', '--state-dir=/home/a/.rancher/k3s/rootless', '--net=slirp4netns', '/usr/bin/node', '/lib/k3s/main.js', 'server', '--rootless'];
  const processes = [
    proc(10, 1, 1000, 'rootlesskit', k3sKit, { cgroup: '/user.slice/user-1000.slice/user@1000.service/app.slice/k3s-rootless.service' }),
    proc(11, 10, 1000, 'exe', ['/proc/self/exe', ...k3sKit.slice(1)], { pidns: 'pid:[4026532900]' }),
    proc(12, 10, 1000, 'slirp4netns', ['slirp4netns', '--mtu', '1500', '11', 'tap0']),
    proc(13, 11, 1000, 'node', ['/usr/bin/node', '/lib/k3s/main.js', 'server', '--rootless']),
    proc(14, 13, 101000, 'sleep', ['sleep', '3600']),
    // rootless Docker of the same user, and another user's k3s
    proc(20, 1, 1000, 'rootlesskit', ['rootlesskit', '--state-dir=/run/user/1000/dockerd-rootless', '--net=slirp4netns', 'dockerd']),
    proc(30, 1, 1001, 'rootlesskit', ['rootlesskit', '--state-dir=/home/b/.rancher/k3s/rootless', 'node', 'main.js', 'server', '--rootless']),
    // a resident launcher above a k3s rootlesskit
    proc(40, 1, 1000, 'node', ['/usr/bin/node', 'main.js', 'server', '--rootless']),
    proc(41, 40, 1000, 'rootlesskit', ['rootlesskit', '--state-dir=/data2/rootless', 'node', 'main.js', 'server', '--rootless']),
  ];
  const found = findInstances(processes, 1000);
  assert.deepEqual(found.map((i) => i.pid), [10, 41]);
  assert.deepEqual(found[0], {
    pid: 10,
    stateDir: '/home/a/.rancher/k3s/rootless',
    childPid: 11,
    childPidns: 'pid:[4026532900]',
    helperPids: [12, 13],
    unit: 'k3s-rootless.service',
  });
  assert.deepEqual(found[1]!.helperPids, [40], 'the resident launcher goes too');
  assert.deepEqual(findInstances(processes, 1000, '/data2/rootless').map((i) => i.pid), [41]);
});

test('serviceUnit names the service to stop, and nothing for scopes or the user manager itself', () => {
  assert.equal(serviceUnit('/user.slice/user-1000.slice/user@1000.service/app.slice/k3s-rootless.service'), 'k3s-rootless.service');
  assert.equal(serviceUnit('/user.slice/user-1000.slice/user@1000.service/app.slice/k3s-rootless-1a2b3c4d.scope'), undefined);
  assert.equal(serviceUnit('/user.slice/user-1000.slice/user@1000.service'), undefined);
  assert.equal(serviceUnit('/user.slice/user-1000.slice/session-3.scope'), undefined);
  assert.equal(serviceUnit(undefined), undefined);
});
