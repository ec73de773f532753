import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostsTable, parseHosts } from '../../../src/dns/hosts.js';
import { mergeNodeHosts, nodeAddresses } from '../../../src/dns/node-hosts.js';
import { kubeDnsSlice, endpointContent, kubeDnsService, serviceDrift } from '../../../src/dns/kube-dns.js';
import { parseResolvConf, pickResolvConf } from '../../../src/dns/upstream.js';
import { RCODE, TYPE } from '../../../src/dns/wire.js';
import { tempDir } from '../../helpers/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

test('hosts text: entries with aliases, comments and IPv6; bad lines reported with their number', () => {
  const { entries, problems } = parseHosts('# nodes\n10.0.0.5 node-a node-a.lan\n\nfd00::5 six # trailing\nnot-an-ip foo\n10.0.0.9\n');
  assert.deepEqual(entries, [{ ip: '10.0.0.5', names: ['node-a', 'node-a.lan'] }, { ip: 'fd00::5', names: ['six'] }]);
  assert.deepEqual(problems.map((p) => p.line), [5, 6]);
});

test('hosts entries answer A, AAAA and PTR; a listed name asked for another type is NODATA; others are not theirs', () => {
  const table = new HostsTable(parseHosts('10.0.0.5 node-a Node-A.lan\nfd00::5 node-a\n').entries);
  const a = table.lookup('node-a.lan.', TYPE.A);
  assert.equal(a.kind === 'records' && a.answers[0]?.data.type, TYPE.A);
  const aaaa = table.lookup('node-a', TYPE.AAAA);
  assert.deepEqual(aaaa.kind === 'records' && aaaa.answers.map((r) => r.data), [{ type: TYPE.AAAA, address: 'fd00::5' }]);
  const ptr = table.lookup('5.0.0.10.in-addr.arpa', TYPE.PTR);
  assert.deepEqual(ptr.kind === 'records' && ptr.answers.map((r) => r.data), [{ type: TYPE.PTR, target: 'node-a' }]);
  const mx = table.lookup('node-a', TYPE.MX);
  assert.equal(mx.kind === 'records' && mx.rcode, RCODE.NOERROR);
  assert.equal(mx.kind === 'records' && mx.answers.length, 0);
  assert.equal(table.lookup('node-b', TYPE.A).kind, 'not-mine');
});

test('NodeHosts keeps one line per node at its InternalIP and keeps lines users added', () => {
  const nodes = nodeAddresses([
    { metadata: { name: 'b' }, status: { addresses: [{ type: 'Hostname', address: 'b' }, { type: 'InternalIP', address: '10.0.0.2' }] } },
    { metadata: { name: 'a' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } },
    { metadata: { name: 'noip' }, status: {} },
  ] as never);
  assert.equal(mergeNodeHosts('', nodes), '10.0.0.1 a\n10.0.0.2 b\n');
  assert.equal(mergeNodeHosts('192.168.1.1 printer\n10.9.9.9 b\n10.9.9.9 b\n', nodes), '192.168.1.1 printer\n10.0.0.2 b\n10.0.0.1 a\n');
  const same = mergeNodeHosts('10.0.0.1 a\n10.0.0.2 b\n', nodes);
  assert.equal(same, '10.0.0.1 a\n10.0.0.2 b\n');
});

test('kube-dns: a different cluster IP means recreate (immutable), other drift an update, none when equal', () => {
  const desired = kubeDnsService(['10.43.0.10']);
  assert.equal(serviceDrift(desired, ['10.43.0.10']), undefined);
  assert.equal(serviceDrift(desired, ['10.43.0.53']), 'recreate');
  assert.equal(serviceDrift({ ...desired, spec: { ...(desired['spec'] as object), selector: { 'k8s-app': 'kube-dns' } } }, ['10.43.0.10']), 'update');
  assert.equal(serviceDrift({ ...desired, spec: { ...(desired['spec'] as object), ports: [] } }, ['10.43.0.10']), 'update');
});

test('kube-dns EndpointSlice: defaulted fields added by the API do not count as a change', () => {
  const mine = kubeDnsSlice({ bound: { address: '10.0.0.1', udpPort: 53, tcpPort: 53 }, nodeName: 'n' });
  const live = structuredClone(mine) as Record<string, unknown>;
  (live['endpoints'] as Record<string, unknown>[])[0]!['conditions'] = { ready: true, serving: true, terminating: false };
  (live['ports'] as Record<string, unknown>[]).reverse();
  (live as { metadata: Record<string, unknown> }).metadata['resourceVersion'] = '42';
  assert.equal(endpointContent('EndpointSlice', live as never), endpointContent('EndpointSlice', mine));
  const moved = kubeDnsSlice({ bound: { address: '10.0.0.1', udpPort: 5353, tcpPort: 53 }, nodeName: 'n' });
  assert.notEqual(endpointContent('EndpointSlice', moved), endpointContent('EndpointSlice', mine));
});

test('resolv.conf: nameservers (zone ids dropped), the last search line, options', () => {
  const conf = parseResolvConf('# x\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\nnameserver bogus\nsearch a.example b.example\nsearch c.example\noptions edns0 ndots:2\n');
  assert.deepEqual(conf, { nameservers: ['10.0.0.2', 'fe80::1'], searches: ['c.example'], options: ['edns0', 'ndots:2'] });
});

test('resolv.conf choice: the configured file; else the first with non-loopback servers (systemd-resolved stub skipped)', (t) => {
  const dir = tempDir(t, 'dns-resolv-');
  const stub = join(dir, 'stub.conf');
  const real = join(dir, 'real.conf');
  writeFileSync(stub, 'nameserver 127.0.0.53\noptions edns0\n');
  writeFileSync(real, 'nameserver 192.0.2.1\n');
  assert.equal(pickResolvConf('/my/resolv.conf', [stub, real]), '/my/resolv.conf');
  assert.equal(pickResolvConf(undefined, [stub, real]), real);
  assert.equal(pickResolvConf(undefined, [stub, join(dir, 'missing')]), undefined);
});
