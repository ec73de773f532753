import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig, type Config, type RawSettings, type Role } from '../../../src/config/index.js';
import { tempDir } from '../../helpers/index.js';

function build(home: string, cli: Record<string, string>, role: Role = 'server'): Config {
  const raw: RawSettings = new Map(Object.entries(cli).map(([k, v]) => [k, { value: v, append: false, origin: `command-line flag --${k}` }]));
  return buildConfig({ role, cli: raw, env: {}, uid: 1000, home, hostname: 'node-1' });
}

test('--flannel-backend accepts vxlan (default), host-gw and none', (t) => {
  const home = tempDir(t);
  assert.equal(build(home, {}).agent.flannelBackend, 'vxlan');
  assert.equal(build(home, { 'flannel-backend': 'host-gw' }).agent.flannelBackend, 'host-gw');
  assert.equal(build(home, { 'flannel-backend': 'none' }).agent.flannelBackend, 'none');
});

test('--flannel-backend=wireguard-native is refused: multi-node overlay is not available', (t) => {
  const home = tempDir(t);
  assert.throws(() => build(home, { 'flannel-backend': 'wireguard-native' }), /--flannel-backend \(command-line flag --flannel-backend\): wireguard-native .*multi-node overlay networks are not available in this k3s yet: use vxlan/);
  assert.throws(() => build(home, { 'flannel-backend': 'ipsec' }), /unknown backend "ipsec" \(valid: vxlan, host-gw, none/);
});

test('--flannel-iface is taken by servers and agents', (t) => {
  const home = tempDir(t);
  assert.equal(build(home, { 'flannel-iface': 'eth1' }).agent.flannelIface, 'eth1');
  assert.equal(build(home, { 'flannel-iface': 'eth1', server: 'https://10.0.0.1:6443' }, 'agent').agent.flannelIface, 'eth1');
  assert.equal(build(home, {}).agent.flannelIface, undefined);
});
