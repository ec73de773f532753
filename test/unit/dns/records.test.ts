import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterZone, reverseName, type EndpointSlice, type Service } from '../../../src/dns/records.js';
import { RCODE, TYPE, type ResourceRecord } from '../../../src/dns/wire.js';

const svc = (ns: string, name: string, spec: NonNullable<Service['spec']>): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec });
const slice = (ns: string, service: string, endpoints: NonNullable<EndpointSlice['endpoints']>, ports: EndpointSlice['ports'] = []): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: ns, name: `${service}-abc`, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

function zone(): ClusterZone {
  const z = new ClusterZone('cluster.local');
  z.rebuild(
    [
      svc('default', 'kubernetes', { type: 'ClusterIP', clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
      svc('shop', 'web', { type: 'NodePort', clusterIP: '10.43.7.8', ports: [{ name: 'http', port: 80 }, { port: 8080 }] }),
      svc('shop', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
      svc('shop', 'empty', { clusterIP: 'None' }),
      svc('shop', 'ext', { type: 'ExternalName', externalName: 'Example.ORG.' }),
      svc('dual', 'v6', { clusterIP: '10.43.1.1', clusterIPs: ['10.43.1.1', 'fd00::1'] }),
    ],
    [
      slice('shop', 'db', [
        { addresses: ['10.42.0.5'], conditions: { ready: true }, hostname: 'db-0' },
        { addresses: ['10.42.0.6'], conditions: { ready: true }, hostname: 'db-1' },
        { addresses: ['10.42.0.7'], conditions: { ready: false }, hostname: 'db-2' },
        { addresses: ['10.42.0.9'] },
      ], [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
      slice('shop', 'web', [{ addresses: ['10.42.0.20'], conditions: { ready: true } }]),
    ],
  );
  return z;
}

function records(answer: ReturnType<ClusterZone['lookup']>): ResourceRecord[] {
  assert.equal(answer.kind, 'records');
  return answer.kind === 'records' ? answer.answers : [];
}
const data = (rs: ResourceRecord[]): unknown[] => rs.map((r) => r.data);

test('a ClusterIP Service answers its cluster IP, whatever its type (NodePort too), case-insensitively', () => {
  const z = zone();
  assert.deepEqual(data(records(z.lookup('web.shop.svc.cluster.local', TYPE.A))), [{ type: TYPE.A, address: '10.43.7.8' }]);
  assert.deepEqual(data(records(z.lookup('WEB.Shop.svc.cluster.local.', TYPE.A))), [{ type: TYPE.A, address: '10.43.7.8' }]);
  assert.deepEqual(data(records(z.lookup('kubernetes.default.svc.cluster.local', TYPE.A))), [{ type: TYPE.A, address: '10.43.0.1' }]);
});

test('dual-stack Services answer A with the IPv4 and AAAA with the IPv6 cluster IP', () => {
  const z = zone();
  assert.deepEqual(data(records(z.lookup('v6.dual.svc.cluster.local', TYPE.A))), [{ type: TYPE.A, address: '10.43.1.1' }]);
  assert.deepEqual(data(records(z.lookup('v6.dual.svc.cluster.local', TYPE.AAAA))), [{ type: TYPE.AAAA, address: 'fd00::1' }]);
});

test('a single-stack Service asked for AAAA is NODATA (the name exists), with the SOA for negative caching', () => {
  const answer = zone().lookup('web.shop.svc.cluster.local', TYPE.AAAA);
  assert.equal(answer.kind, 'records');
  if (answer.kind !== 'records') return;
  assert.equal(answer.rcode, RCODE.NOERROR);
  assert.deepEqual(answer.answers, []);
  assert.equal(answer.authorities[0]?.data.type, TYPE.SOA);
});

test('a missing Service, namespace or label is NXDOMAIN; parents of existing names are NODATA', () => {
  const z = zone();
  for (const name of ['nope.shop.svc.cluster.local', 'web.nowhere.svc.cluster.local', 'x.web.shop.svc.cluster.local', 'foo.cluster.local', 'web.shop.svc.cluster.local.shop.svc.cluster.local']) {
    const a = z.lookup(name, TYPE.A);
    assert.equal(a.kind === 'records' && a.rcode, RCODE.NXDOMAIN, name);
  }
  for (const name of ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'pod.cluster.local']) {
    const a = z.lookup(name, TYPE.A);
    assert.equal(a.kind === 'records' && a.rcode, RCODE.NOERROR, name);
    assert.equal(a.kind === 'records' && a.answers.length, 0, name);
  }
});

test('a headless Service answers one record per ready endpoint; not-ready ones are left out', () => {
  const z = zone();
  const got = data(records(z.lookup('db.shop.svc.cluster.local', TYPE.A)));
  assert.deepEqual(got, [{ type: TYPE.A, address: '10.42.0.5' }, { type: TYPE.A, address: '10.42.0.6' }, { type: TYPE.A, address: '10.42.0.9' }]);
});

test('StatefulSet pods answer at <hostname>.<service>; endpoints without a hostname at their dashed IP', () => {
  const z = zone();
  assert.deepEqual(data(records(z.lookup('db-0.db.shop.svc.cluster.local', TYPE.A))), [{ type: TYPE.A, address: '10.42.0.5' }]);
  assert.deepEqual(data(records(z.lookup('10-42-0-9.db.shop.svc.cluster.local', TYPE.A))), [{ type: TYPE.A, address: '10.42.0.9' }]);
  const notReady = z.lookup('db-2.db.shop.svc.cluster.local', TYPE.A);
  assert.equal(notReady.kind === 'records' && notReady.rcode, RCODE.NXDOMAIN);
});

test('publishNotReadyAddresses publishes not-ready endpoints too', () => {
  const z = new ClusterZone('cluster.local');
  z.rebuild([svc('a', 'h', { clusterIP: 'None', publishNotReadyAddresses: true })], [slice('a', 'h', [{ addresses: ['10.42.0.3'], conditions: { ready: false }, hostname: 'h-0' }])]);
  assert.deepEqual(data(records(z.lookup('h-0.h.a.svc.cluster.local', TYPE.A))), [{ type: TYPE.A, address: '10.42.0.3' }]);
});

test('a headless Service without endpoints is NODATA, not NXDOMAIN', () => {
  const a = zone().lookup('empty.shop.svc.cluster.local', TYPE.A);
  assert.equal(a.kind === 'records' && a.rcode, RCODE.NOERROR);
  assert.equal(a.kind === 'records' && a.answers.length, 0);
});

test('named ports answer SRV: the service name for ClusterIP, each endpoint (with its address) for headless', () => {
  const z = zone();
  assert.deepEqual(data(records(z.lookup('_http._tcp.web.shop.svc.cluster.local', TYPE.SRV))), [{ type: TYPE.SRV, priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' }]);
  const headless = z.lookup('_pg._tcp.db.shop.svc.cluster.local', TYPE.SRV);
  assert.deepEqual(data(records(headless)).map((d) => (d as { target: string }).target), ['db-0.db.shop.svc.cluster.local', 'db-1.db.shop.svc.cluster.local', '10-42-0-9.db.shop.svc.cluster.local']);
  assert.equal(headless.kind === 'records' && headless.additionals.length, 3);
  // No SRV for the unnamed port, and the wrong protocol is NXDOMAIN.
  const udp = z.lookup('_http._udp.web.shop.svc.cluster.local', TYPE.SRV);
  assert.equal(udp.kind === 'records' && udp.rcode, RCODE.NXDOMAIN);
  // The bare service name lists every named port.
  assert.equal(records(z.lookup('web.shop.svc.cluster.local', TYPE.SRV)).length, 1);
});

test('an ExternalName Service is a CNAME (to be chased) for any type', () => {
  const z = zone();
  for (const type of [TYPE.A, TYPE.AAAA, TYPE.CNAME]) {
    const a = z.lookup('ext.shop.svc.cluster.local', type);
    assert.deepEqual(data(records(a)), [{ type: TYPE.CNAME, target: 'example.org' }]);
    assert.equal(a.kind === 'records' && a.cname, type === TYPE.CNAME ? undefined : 'example.org');
  }
});

test('pod names a-b-c-d.<ns>.pod answer their own address', () => {
  const z = zone();
  assert.deepEqual(data(records(z.lookup('10-42-0-77.shop.pod.cluster.local', TYPE.A))), [{ type: TYPE.A, address: '10.42.0.77' }]);
  const bad = z.lookup('10-42-0.shop.pod.cluster.local', TYPE.A);
  assert.equal(bad.kind === 'records' && bad.rcode, RCODE.NXDOMAIN);
});

test('service and endpoint IPs answer PTR; other reverse names are not the zone\'s to answer', () => {
  const z = zone();
  assert.deepEqual(data(records(z.lookup('8.7.43.10.in-addr.arpa', TYPE.PTR))), [{ type: TYPE.PTR, target: 'web.shop.svc.cluster.local' }]);
  assert.deepEqual(data(records(z.lookup('5.0.42.10.in-addr.arpa', TYPE.PTR))), [{ type: TYPE.PTR, target: 'db-0.db.shop.svc.cluster.local' }]);
  assert.equal(z.lookup('1.1.168.192.in-addr.arpa', TYPE.PTR).kind, 'not-mine');
  assert.equal(reverseName('fd00::1'), `1.0.0.0.${'0.'.repeat(24)}0.0.d.f.ip6.arpa`);
});

test('names outside the cluster domain are not the zone\'s', () => {
  const z = zone();
  assert.equal(z.lookup('example.org', TYPE.A).kind, 'not-mine');
  assert.equal(z.lookup('cluster.localhost', TYPE.A).kind, 'not-mine');
});

test('the zone apex answers SOA and NS; a custom domain is honoured', () => {
  const z = new ClusterZone('k8s.example.');
  z.rebuild([svc('a', 'b', { clusterIP: '10.43.0.9' })], []);
  assert.equal(records(z.lookup('k8s.example', TYPE.SOA))[0]?.data.type, TYPE.SOA);
  assert.deepEqual(data(records(z.lookup('k8s.example', TYPE.NS))), [{ type: TYPE.NS, target: 'ns.dns.k8s.example' }]);
  assert.deepEqual(data(records(z.lookup('b.a.svc.k8s.example', TYPE.A))), [{ type: TYPE.A, address: '10.43.0.9' }]);
  assert.equal(z.lookup('b.a.svc.cluster.local', TYPE.A).kind, 'not-mine');
});
