import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootlessConfig } from '../../../src/config/rootless.js';
import { effectiveUid } from '../../../src/rootless/roles.js';

test('K3S_ROOTLESS_* defaults are upstream\'s', () => {
  assert.deepEqual(rootlessConfig({}, '/home/u/.rancher/k3s'), {
    mtu: 1500,
    cidr: '10.41.0.0/16',
    enableIPv6: 'auto',
    portDriver: 'builtin',
    disableHostLoopback: true,
    copyUpDirs: ['/etc', '/run', '/var/lib', '/var/log'],
    stateDir: '/home/u/.rancher/k3s/rootless',
  });
});

test('K3S_ROOTLESS_* values are honoured', () => {
  const c = rootlessConfig(
    {
      K3S_ROOTLESS_MTU: '65520',
      K3S_ROOTLESS_CIDR: '10.99.0.0/24',
      K3S_ROOTLESS_ENABLE_IPV6: 'true',
      K3S_ROOTLESS_PORT_DRIVER: 'slirp4netns',
      K3S_ROOTLESS_DISABLE_HOST_LOOPBACK: 'false',
      K3S_ROOTLESS_COPYUPDIRS: '/opt/cni, /etc',
    },
    '/d',
  );
  assert.equal(c.mtu, 65520);
  assert.equal(c.cidr, '10.99.0.0/24');
  assert.equal(c.enableIPv6, true);
  assert.equal(c.portDriver, 'slirp4netns');
  assert.equal(c.disableHostLoopback, false);
  assert.deepEqual(c.copyUpDirs, ['/etc', '/run', '/var/lib', '/var/log', '/opt/cni']);
});

test('bad K3S_ROOTLESS_* values fail and name the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ K3S_ROOTLESS_MTU: 'big' }, /K3S_ROOTLESS_MTU="big": must be a whole number/],
    [{ K3S_ROOTLESS_MTU: '70000' }, /K3S_ROOTLESS_MTU.*between 1280 and 65520/],
    [{ K3S_ROOTLESS_CIDR: '10.41.0.1/16' }, /K3S_ROOTLESS_CIDR.*host bits must be zero/],
    [{ K3S_ROOTLESS_CIDR: 'fd00::/64' }, /K3S_ROOTLESS_CIDR.*IPv4 CIDR/],
    [{ K3S_ROOTLESS_CIDR: '10.41.0.0/30' }, /K3S_ROOTLESS_CIDR.*\/25 or larger/],
    [{ K3S_ROOTLESS_PORT_DRIVER: 'vpnkit' }, /K3S_ROOTLESS_PORT_DRIVER.*"builtin".*"slirp4netns"/],
    [{ K3S_ROOTLESS_DISABLE_HOST_LOOPBACK: 'maybe' }, /K3S_ROOTLESS_DISABLE_HOST_LOOPBACK.*true or false/],
    [{ K3S_ROOTLESS_COPYUPDIRS: 'relative/dir' }, /K3S_ROOTLESS_COPYUPDIRS.*not an absolute path/],
  ];
  for (const [env, message] of cases) assert.throws(() => rootlessConfig(env, '/d'), message);
});

test('inside the namespaces the configuration follows the parent user, not uid 0', () => {
  assert.equal(effectiveUid({ _K3S_ROOTLESS_CHILD: '1', ROOTLESSKIT_STATE_DIR: '/s', ROOTLESSKIT_PARENT_EUID: '1000' }, 0), 1000);
  assert.equal(effectiveUid({ ROOTLESSKIT_PARENT_EUID: '1000' }, 0), 0, 'no marker: not our child');
  assert.equal(effectiveUid({}, 1001), 1001);
});
