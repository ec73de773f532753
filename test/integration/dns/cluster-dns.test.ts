/**
 * The in-process cluster DNS against a real API server: Services and EndpointSlices created
 * through the API are answered over UDP and TCP to real resolvers (Node's c-ares resolver and
 * busybox nslookup), custom entries come from the kube-system ConfigMaps, the kube-dns Service
 * and its EndpointSlice point at the listener, and other names go to an upstream server the test
 * runs.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver as NodeResolver } from 'node:dns/promises';
import { Socket } from 'node:net';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { ClusterDns, RemoveClusterDns } from '../../../src/dns/index.js';
import { CLASS_IN, decode, encode, query, RCODE, TYPE, type Message } from '../../../src/dns/wire.js';
import { run, waitFor } from '../../helpers/index.js';
import { startHarness } from '../apiserver/harness.js';

const SERVICES = { group: '', version: 'v1', resource: 'services' } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } as const;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-system' } as const;

/** A tiny upstream resolver: answers outside.example with 192.0.2.7 and everything else NXDOMAIN. */
async function startUpstream(t: { after(fn: () => unknown): void }): Promise<{ port: number; asked: string[] }> {
  const socket = createSocket('udp4');
  const asked: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const q = decode(msg);
    const name = q.questions[0]?.name ?? '';
    asked.push(name);
    const found = name === 'outside.example' && q.questions[0]?.type === TYPE.A;
    const reply: Message = {
      ...q,
      response: true,
      recursionAvailable: true,
      rcode: found || name === 'outside.example' ? RCODE.NOERROR : RCODE.NXDOMAIN,
      answers: found ? [{ name, class: CLASS_IN, ttl: 60, data: { type: TYPE.A, address: '192.0.2.7' } }] : [],
      additionals: [],
    };
    socket.send(encode(reply), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => socket.close());
  return { port: socket.address().port, asked };
}

async function tcpQuery(port: number, name: string, type: number): Promise<Message> {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', resolve);
  });
  const body = encode(query(4242, name, type));
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(body.length);
  socket.write(Buffer.concat([prefix, body]));
  let got = Buffer.alloc(0);
  for await (const chunk of socket) {
    got = Buffer.concat([got, chunk as Buffer]);
    if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) break;
  }
  socket.destroy();
  return decode(got.subarray(2, 2 + got.readUInt16BE(0)));
}

async function udpQuery(port: number, name: string, type: number): Promise<Message> {
  const socket = createSocket('udp4');
  const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
  socket.send(encode(query(777, name, type)), port, '127.0.0.1');
  const raw = await answer;
  socket.close();
  return decode(raw);
}

async function startDns(t: { after(fn: () => unknown): void }): Promise<{ client: ApiClient; dns: ClusterDns; port: number; resolver: NodeResolver; upstream: { asked: string[] } }> {
  const harness = await startHarness(t);
  const client = harness.server.loopback();
  const dns = new ClusterDns({ client, clusterDomain: 'cluster.local', clusterIPs: ['10.43.0.10'], listen: { address: '127.0.0.1', port: 0 }, resolvConf: undefined, nodeName: 'node-a' });
  const upstream = await startUpstream(t);
  dns.upstream.setServers([{ host: '127.0.0.1', port: upstream.port }]);
  const ac = new AbortController();
  await dns.start(ac.signal);
  t.after(async () => {
    ac.abort();
    await dns.stopped();
  });
  const port = dns.bound!.udpPort;
  const resolver = new NodeResolver({ timeout: 2000, tries: 2 });
  resolver.setServers([`127.0.0.1:${port}`]);
  return { client, dns, port, resolver, upstream };
}

function headless(ns: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'pg', port: 5432 }] } };
}

function slice(ns: string, service: string, endpoints: { ip: string; hostname?: string; ready?: boolean }[]): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true }, ...(e.hostname ? { hostname: e.hostname } : {}) })),
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  };
}

test('Services created through the API resolve by FQDN over UDP and TCP; missing ones are NXDOMAIN', async (t) => {
  const { client, port, resolver } = await startDns(t);
  const web = await client.create<KubeObject>({ ...SERVICES, namespace: 'default' }, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  const ip = (web['spec'] as { clusterIP: string }).clusterIP;
  await waitFor('web resolves', async () => (await resolver.resolve4('web.default.svc.cluster.local').catch((): string[] => [])).includes(ip), 10_000, 50);
  assert.deepEqual(await resolver.resolve4('kubernetes.default.svc.cluster.local'), ['10.43.0.1']);
  const srv = await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local');
  assert.deepEqual(srv, [{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
  assert.deepEqual(await resolver.reverse(ip), ['web.default.svc.cluster.local']);
  const tcp = await tcpQuery(port, 'web.default.svc.cluster.local', TYPE.A);
  assert.equal(tcp.id, 4242);
  assert.equal(tcp.authoritative, true);
  assert.deepEqual(tcp.answers.map((r) => r.data), [{ type: TYPE.A, address: ip }]);
  await assert.rejects(resolver.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  const nodata = await udpQuery(port, 'web.default.svc.cluster.local', TYPE.AAAA);
  assert.equal(nodata.rcode, RCODE.NOERROR);
  assert.equal(nodata.answers.length, 0);
  assert.equal(nodata.authorities[0]?.data.type, TYPE.SOA);
  const nx = await udpQuery(port, 'nope.default.svc.cluster.local', TYPE.A);
  assert.equal(nx.rcode, RCODE.NXDOMAIN);

  await client.delete({ ...SERVICES, namespace: 'default' }, 'web');
  await waitFor('web gone', async () => (await udpQuery(port, 'web.default.svc.cluster.local', TYPE.A)).rcode === RCODE.NXDOMAIN, 10_000, 50);
});

test('headless Services and StatefulSet-style hostnames follow their EndpointSlices (ready only)', async (t) => {
  const { client, resolver } = await startDns(t);
  await client.create({ ...SERVICES, namespace: 'shop' }, headless('shop', 'db')).catch(async () => {
    await client.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    await client.create({ ...SERVICES, namespace: 'shop' }, headless('shop', 'db'));
  });
  await client.create({ ...SLICES, namespace: 'shop' }, slice('shop', 'db', [{ ip: '10.42.0.5', hostname: 'db-0' }, { ip: '10.42.0.6', hostname: 'db-1' }, { ip: '10.42.0.7', hostname: 'db-2', ready: false }]));
  await waitFor('db resolves', async () => (await resolver.resolve4('db.shop.svc.cluster.local').catch((): string[] => [])).length === 2, 10_000, 50);
  assert.deepEqual((await resolver.resolve4('db.shop.svc.cluster.local')).sort(), ['10.42.0.5', '10.42.0.6']);
  assert.deepEqual(await resolver.resolve4('db-1.db.shop.svc.cluster.local'), ['10.42.0.6']);
  await assert.rejects(resolver.resolve4('db-2.db.shop.svc.cluster.local'), { code: 'ENOTFOUND' });
  const srv = await resolver.resolveSrv('_pg._tcp.db.shop.svc.cluster.local');
  assert.deepEqual(srv.map((s) => s.name).sort(), ['db-0.db.shop.svc.cluster.local', 'db-1.db.shop.svc.cluster.local']);

  // Readiness changes move the answer.
  await client.update({ ...SLICES, namespace: 'shop' }, { ...(await client.get({ ...SLICES, namespace: 'shop' }, 'db-x')), endpoints: [{ addresses: ['10.42.0.7'], conditions: { ready: true }, hostname: 'db-2' }] });
  await waitFor('db-2 ready', async () => (await resolver.resolve4('db-2.db.shop.svc.cluster.local').catch((): string[] => [])).includes('10.42.0.7'), 10_000, 50);
  assert.deepEqual(await resolver.resolve4('db.shop.svc.cluster.local'), ['10.42.0.7']);
});

test('a large headless answer is truncated over UDP and the resolver gets it whole over TCP', async (t) => {
  const { client, port, resolver } = await startDns(t);
  await client.create({ ...SERVICES, namespace: 'default' }, headless('default', 'big'));
  await client.create({ ...SLICES, namespace: 'default' }, slice('default', 'big', Array.from({ length: 80 }, (_, i) => ({ ip: `10.42.1.${i + 1}` }))));
  await waitFor('big resolves', async () => (await udpQuery(port, 'big.default.svc.cluster.local', TYPE.A)).truncated, 10_000, 50);
  assert.equal((await resolver.resolve4('big.default.svc.cluster.local')).length, 80);
});

test('ExternalName is a CNAME chased through the upstream; outside names are forwarded; unknown upstream names stay NXDOMAIN', async (t) => {
  const { client, resolver, upstream, port } = await startDns(t);
  await client.create({ ...SERVICES, namespace: 'default' }, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'outside.example' } });
  await waitFor('ext resolves', async () => (await resolver.resolveCname('ext.default.svc.cluster.local').catch((): string[] => [])).length > 0, 10_000, 50);
  const chased = await udpQuery(port, 'ext.default.svc.cluster.local', TYPE.A);
  assert.deepEqual(chased.answers.map((r) => r.data), [{ type: TYPE.CNAME, target: 'outside.example' }, { type: TYPE.A, address: '192.0.2.7' }]);
  assert.deepEqual(await resolver.resolve4('outside.example'), ['192.0.2.7']);
  await assert.rejects(resolver.resolve4('missing.example'), { code: 'ENOTFOUND' });
  assert.ok(upstream.asked.includes('missing.example'));
  // Cluster names never leave the node.
  assert.ok(!upstream.asked.some((n) => n.endsWith('cluster.local')));
});

test('custom entries: NodeHosts (kept current from Nodes) and coredns-custom *.hosts keys', async (t) => {
  const { client, resolver } = await startDns(t);
  await client.create({ group: '', version: 'v1', resource: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
  await client.patch({ group: '', version: 'v1', resource: 'nodes' }, 'node-a', 'merge', { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.11' }] } }, { subresource: 'status' });
  await waitFor('NodeHosts written', async () => {
    const cm = await client.get(CONFIGMAPS, 'coredns').catch(() => undefined);
    return ((cm?.['data'] as Record<string, string> | undefined)?.['NodeHosts'] ?? '').includes('10.0.0.11 node-a');
  }, 10_000, 50);
  await waitFor('node name resolves', async () => (await resolver.resolve4('node-a').catch((): string[] => [])).includes('10.0.0.11'), 10_000, 50);
  await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns-custom', namespace: 'kube-system' }, data: { 'lab.hosts': '192.0.2.50 registry.lab registry\n' } });
  await waitFor('custom entry resolves', async () => (await resolver.resolve4('registry.lab').catch((): string[] => [])).includes('192.0.2.50'), 10_000, 50);
  assert.deepEqual(await resolver.reverse('192.0.2.50'), ['registry.lab']);
});

test('the kube-dns Service sits at the cluster DNS IP, and its EndpointSlice points at the listener', async (t) => {
  const { client, dns } = await startDns(t);
  const ks = { group: '', version: 'v1', resource: 'services', namespace: 'kube-system' } as const;
  await waitFor('kube-dns slice', async () => (await client.get({ ...SLICES, namespace: 'kube-system' }, 'kube-dns-k3s').catch(() => undefined)) !== undefined, 10_000, 50);
  const svc = await client.get(ks, 'kube-dns');
  assert.equal((svc['spec'] as { clusterIP: string }).clusterIP, '10.43.0.10');
  assert.deepEqual((svc['spec'] as { ports: { name: string; port: number; protocol: string }[] }).ports.map((p) => `${p.name}/${p.protocol}/${p.port}`), ['dns/UDP/53', 'dns-tcp/TCP/53']);
  const slice = await client.get({ ...SLICES, namespace: 'kube-system' }, 'kube-dns-k3s');
  assert.deepEqual((slice['endpoints'] as { addresses: string[] }[])[0]?.addresses, ['127.0.0.1']);
  assert.deepEqual((slice['ports'] as { port: number }[]).map((p) => p.port), [dns.bound!.udpPort, dns.bound!.tcpPort]);

  // Someone edits the endpoints away: the component puts them back.
  await client.patch({ ...SLICES, namespace: 'kube-system' }, 'kube-dns-k3s', 'merge', { endpoints: [{ addresses: ['10.9.9.9'] }] });
  await waitFor('slice repaired', async () => {
    const s = await client.get({ ...SLICES, namespace: 'kube-system' }, 'kube-dns-k3s');
    return (s['endpoints'] as { addresses: string[] }[])[0]?.addresses[0] === '127.0.0.1';
  }, 10_000, 50);
});

test('busybox nslookup (a real stub resolver) resolves a Service through the listener', { skip: !(await import('node:fs')).existsSync('/bin/busybox') && 'no /bin/busybox' }, async (t) => {
  const { client, port } = await startDns(t);
  const web = await client.create<KubeObject>({ ...SERVICES, namespace: 'default' }, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  const ip = (web['spec'] as { clusterIP: string }).clusterIP;
  let output = '';
  await waitFor('nslookup answers', async () => {
    const r = await run('/bin/busybox', ['nslookup', '-type=a', `-port=${port}`, 'web.default.svc.cluster.local', '127.0.0.1'], { timeoutMs: 10_000 });
    output = r.stdout + r.stderr;
    return output.includes(ip);
  }, 15_000, 200).catch(() => assert.fail(`nslookup never answered ${ip}:\n${output}`));
});

test('--disable coredns removes the kube-dns objects an earlier run made, and leaves a user-made kube-dns alone', async (t) => {
  const harness = await startHarness(t);
  const client = harness.server.loopback();
  const ks = { group: '', version: 'v1', resource: 'services', namespace: 'kube-system' } as const;
  const dns = new ClusterDns({ client, clusterDomain: 'cluster.local', clusterIPs: ['10.43.0.10'], listen: { address: '127.0.0.1', port: 0 }, resolvConf: undefined, nodeName: 'n' });
  const ac = new AbortController();
  await dns.start(ac.signal);
  await waitFor('kube-dns slice', async () => (await client.get({ ...SLICES, namespace: 'kube-system' }, 'kube-dns-k3s').catch(() => undefined)) !== undefined, 10_000, 50);
  ac.abort();
  await dns.stopped();
  await new RemoveClusterDns(() => client).start();
  await assert.rejects(client.get(ks, 'kube-dns'), /not found/);
  await assert.rejects(client.get({ ...SLICES, namespace: 'kube-system' }, 'kube-dns-k3s'), /not found/);
  await client.create(ks, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns' }, spec: { ports: [{ port: 53, protocol: 'UDP' }] } });
  await new RemoveClusterDns(() => client).start();
  assert.equal((await client.get(ks, 'kube-dns')).metadata?.name, 'kube-dns');
});
