import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareNodeNetwork } from '../../../src/proxy/node-setup.js';

function procSys(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-sys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [path, value] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), value);
  }
  return dir;
}

test('forwarding, route_localnet and bridge-nf-call-iptables are switched on', (t) => {
  const dir = procSys(t, { 'net/ipv4/ip_forward': '0\n', 'net/ipv4/conf/all/route_localnet': '0\n', 'net/bridge/bridge-nf-call-iptables': '0\n' });
  const facts = prepareNodeNetwork(dir);
  assert.deepEqual(facts, { bridgeNfCallIptables: true, routeLocalnet: true, problems: [] });
  assert.equal(readFileSync(join(dir, 'net/ipv4/conf/all/route_localnet'), 'utf8'), '1');
});

test('without br_netfilter the proxy is told, with the fix in the problem', (t) => {
  const dir = procSys(t, { 'net/ipv4/ip_forward': '1\n', 'net/ipv4/conf/all/route_localnet': '1\n' });
  const facts = prepareNodeNetwork(dir);
  assert.equal(facts.bridgeNfCallIptables, false);
  assert.equal(facts.routeLocalnet, true);
  assert.equal(facts.problems.length, 1);
  assert.match(facts.problems[0]!, /^net\.bridge\.bridge-nf-call-iptables=1: not present \(for bridge settings: modprobe br_netfilter as root\)/);
});
