import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootlessKitArgv } from '../../../rootlesskit/index.js';

test('argv carries every setting and ends with the child command', () => {
  const argv = rootlessKitArgv({
    stateDir: '/home/u/.rancher/k3s/rootless',
    net: 'slirp4netns',
    mtu: 1500,
    cidr: '10.41.0.0/16',
    disableHostLoopback: true,
    ipv6: true,
    portDriver: 'slirp4netns',
    copyUpDirs: ['/etc', '/run'],
    propagation: 'rslave',
    pidns: true,
    cgroupns: true,
    utsns: true,
    ipcns: true,
    subidSource: 'static',
    evacuateCgroup2: 'k3s_evac',
    command: ['k3s', 'server'],
  });
  assert.deepEqual(argv, [
    '--state-dir=/home/u/.rancher/k3s/rootless',
    '--net=slirp4netns',
    '--mtu=1500',
    '--cidr=10.41.0.0/16',
    '--disable-host-loopback',
    '--ipv6',
    '--port-driver=slirp4netns',
    '--copy-up=/etc',
    '--copy-up=/run',
    '--propagation=rslave',
    '--pidns',
    '--cgroupns',
    '--utsns',
    '--ipcns',
    '--subid-source=static',
    '--evacuate-cgroup2=k3s_evac',
    'k3s',
    'server',
  ]);
});

test('host networking takes no slirp4netns options, and a child command is required', () => {
  assert.deepEqual(rootlessKitArgv({ stateDir: '/s', net: 'host', mtu: 1500, command: ['sh'] }), ['--state-dir=/s', '--net=host', 'sh']);
  assert.throws(() => rootlessKitArgv({ stateDir: '/s', net: 'host', command: [] }), /child command/);
});
