import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxConfig, type SandboxSettings } from '../../../src/agent/pods/cri-config.js';
import type { Pod } from '../../../src/agent/pods/pod-types.js';
import { etcHostsExtras, writeEtcHosts } from '../../../src/agent/pods/volumes.js';
import { tempDir } from '../../helpers/index.js';

function settings(t: { after(fn: () => unknown): void }): SandboxSettings {
  const dir = tempDir(t, 'pod-dns-');
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, 'nameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch corp.example svc.cluster.local\noptions timeout:2\n');
  return { clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', podLogsDir: dir, resolvConf };
}

const pod = (spec: Partial<Pod['spec']>): Pod => ({ metadata: { name: 'p', namespace: 'shop', uid: 'u' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } }) as Pod;

test('ClusterFirst: the cluster DNS IP, the namespace search list then the host\'s (no duplicates), ndots:5', (t) => {
  const dns = sandboxConfig(pod({}), settings(t), 0).dnsConfig;
  assert.deepEqual(dns, { servers: ['10.43.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'], options: ['ndots:5'] });
});

test('hostNetwork pods with ClusterFirst get the host\'s resolv.conf; ClusterFirstWithHostNet gets the cluster\'s', (t) => {
  const s = settings(t);
  assert.deepEqual(sandboxConfig(pod({ hostNetwork: true }), s, 0).dnsConfig?.servers, ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(sandboxConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), s, 0).dnsConfig?.servers, ['10.43.0.10']);
});

test('Default is the host\'s resolv.conf; None is only dnsConfig', (t) => {
  const s = settings(t);
  assert.deepEqual(sandboxConfig(pod({ dnsPolicy: 'Default' }), s, 0).dnsConfig, { servers: ['192.0.2.1', '192.0.2.2'], searches: ['corp.example', 'svc.cluster.local'], options: ['timeout:2'] });
  const none = sandboxConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.53'], searches: ['a.example'], options: [{ name: 'edns0' }] } }), s, 0).dnsConfig;
  assert.deepEqual(none, { servers: ['192.0.2.53'], searches: ['a.example'], options: ['edns0'] });
});

test('dnsConfig is appended to ClusterFirst; an option given again replaces the earlier one', (t) => {
  const dns = sandboxConfig(pod({ dnsConfig: { nameservers: ['192.0.2.9'], searches: ['cluster.local', 'x.example'], options: [{ name: 'ndots', value: '2' }, { name: 'single-request' }] } }), settings(t), 0).dnsConfig;
  assert.deepEqual(dns, { servers: ['10.43.0.10', '192.0.2.9'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'x.example'], options: ['ndots:2', 'single-request'] });
});

test('at most 32 search domains reach the pod', (t) => {
  const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  const dns = sandboxConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: many } }), settings(t), 0).dnsConfig;
  assert.equal(dns?.searches.length, 32);
});

test('/etc/hosts: a pod with a subdomain gets its FQDN before its hostname; hostAliases are appended', (t) => {
  const dir = tempDir(t, 'pod-hosts-');
  const p = pod({ hostname: 'db-0', subdomain: 'db', hostAliases: [{ ip: '192.0.2.5', hostnames: ['a.example', 'b.example'] }] } as never);
  const text = readFileSync(writeEtcHosts(dir, '10.42.0.9', 'db-0', etcHostsExtras(p, 'cluster.local')), 'utf8');
  assert.match(text, /^10\.42\.0\.9\tdb-0\.db\.shop\.svc\.cluster\.local\tdb-0$/m);
  assert.match(text, /^# Entries added by HostAliases\.\n192\.0\.2\.5\ta\.example\tb\.example$/m);
  const plain = readFileSync(writeEtcHosts(dir, '10.42.0.9', 'p', etcHostsExtras(pod({}), 'cluster.local')), 'utf8');
  assert.match(plain, /^10\.42\.0\.9\tp$/m);
  assert.doesNotMatch(plain, /HostAliases/);
});
