/**
 * Cluster DNS end to end, root mode: a real node (k3s server with its agent) in a network
 * namespace; pods get the cluster resolv.conf and resolve Services by short, namespaced and full
 * names through the cluster DNS IP, headless and StatefulSet names, an ExternalName, custom
 * entries from coredns-custom, the node's name from NodeHosts, and an outside name forwarded to
 * the upstream named by --resolv-conf (a tiny DNS server the test runs inside the namespace).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir, waitFor } from '../helpers/index.js';
import { BUSYBOX, canRunNodeCluster, podExec, startNodeCluster, type NodeCluster } from './node-cluster.js';

const skip = canRunNodeCluster ? false : 'needs root (containerd, CNI, iptables)';
const WIRE = fileURLToPath(new URL('../../src/dns/wire.js', import.meta.url));

/** The upstream: answers outside.example A 192.0.2.7, NXDOMAIN otherwise, on 127.0.0.1:53 inside the node's namespace. */
const UPSTREAM = `
import { createSocket } from 'node:dgram';
import { decode, encode } from ${JSON.stringify(WIRE)};
const s = createSocket('udp4');
s.on('message', (m, r) => {
  const q = decode(m);
  const name = q.questions[0]?.name ?? '';
  const hit = name === 'outside.example' && q.questions[0]?.type === 1;
  s.send(encode({ ...q, response: true, recursionAvailable: true, rcode: name === 'outside.example' ? 0 : 3, answers: hit ? [{ name, class: 1, ttl: 60, data: { type: 1, address: '192.0.2.7' } }] : [], additionals: [] }), r.port, r.address);
});
s.bind(53, '127.0.0.1', () => console.log('upstream ready'));
`;

const manifests = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'other' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'outside.example' } },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: {
        serviceName: 'db',
        replicas: 2,
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'db', image: BUSYBOX, command: ['sleep', '3600'], ports: [{ name: 'pg', containerPort: 5432 }] }] } },
      },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns-custom', namespace: 'kube-system' }, data: { 'lab.hosts': '192.0.2.50 registry.lab\n' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'default' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'client', image: BUSYBOX, command: ['sleep', '3600'] }] } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'custom', namespace: 'default' },
      spec: { terminationGracePeriodSeconds: 0, dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.53'], searches: ['example.test'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] }, containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] },
    },
  ],
};

/** The addresses busybox nslookup printed for the answer (not the server's own "Address: ...#53" line). */
function addresses(out: string): string[] {
  const at = out.search(/^Name:/m);
  if (at < 0) return [];
  const answers = out.slice(at);
  return [...answers.matchAll(/^Address:\s+([0-9a-f.:]+)\s*$/gm)].map((m) => m[1]!).sort();
}

async function get(cluster: NodeCluster, args: string[]): Promise<string> {
  const r = await cluster.kubectl(['get', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('pods resolve Services, headless and StatefulSet names, custom entries and outside names through cluster DNS', { skip, timeout: 600_000 }, async (t) => {
  const dir = tempDir(t, 'k3s-dns-e2e-');
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, 'nameserver 127.0.0.1\nsearch corp.example\n');
  const cluster = await startNodeCluster(t, ['--resolv-conf', resolvConf], { label: 'dns' });
  const script = join(dir, 'upstream.mjs');
  writeFileSync(script, UPSTREAM);
  const upstream = cluster.netns.spawn(process.execPath, [script]);
  await waitFor('upstream DNS ready', () => upstream.output().includes('upstream ready'), 20_000, 50);

  try {
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifests) });
    assert.equal(applied.code, 0, applied.stderr);
    await waitFor('client, custom, db-0 and db-1 Running', async () => {
      const out = await get(cluster, ['pods', '--no-headers']);
      return ['client', 'custom', 'db-0', 'db-1'].every((p) => new RegExp(`^${p}\\s+1/1\\s+Running`, 'm').test(out));
    }, 240_000, 500);

    // kubelet's resolv.conf for ClusterFirst (with the host's search domains appended) and for None + dnsConfig.
    const resolv = (await podExec(cluster, 'client', ['cat', '/etc/resolv.conf'])).out;
    assert.match(resolv, /^nameserver 10\.43\.0\.10$/m);
    assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local corp\.example$/m);
    assert.match(resolv, /^options ndots:5$/m);
    const custom = (await podExec(cluster, 'custom', ['cat', '/etc/resolv.conf'])).out;
    assert.match(custom, /^nameserver 192\.0\.2\.53$/m);
    assert.match(custom, /^search example\.test$/m);
    assert.match(custom, /ndots:2/);
    assert.doesNotMatch(custom, /10\.43\.0\.10/);

    const kubeDns = await get(cluster, ['service', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.equal(kubeDns, '10.43.0.10');
    const webIP = await get(cluster, ['service', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    const apiIP = await get(cluster, ['service', '-n', 'other', 'api', '-o', 'jsonpath={.spec.clusterIP}']);
    const db0 = await get(cluster, ['pod', 'db-0', '-o', 'jsonpath={.status.podIP}']);
    const db1 = await get(cluster, ['pod', 'db-1', '-o', 'jsonpath={.status.podIP}']);

    const lookup = async (name: string, server?: string): Promise<string[]> => {
      const r = await podExec(cluster, 'client', ['nslookup', '-type=a', name, ...(server ? [server] : [])]);
      return addresses(r.out);
    };
    // Straight at the listener on the node address (what the kube-dns EndpointSlice says).
    await waitFor('the listener answers on the node address', async () => (await lookup('web.default.svc.cluster.local', cluster.netns.nodeIP)).includes(webIP), 60_000, 500);

    // Through the cluster DNS IP, as pods ask. busybox nslookup applies the search list only to
    // names without a dot (glibc and musl use ndots), so dotted names are given in full here.
    const expect = async (name: string, want: string[]): Promise<void> => {
      let got: string[] = [];
      await waitFor(`${name} -> ${want.join(',')}`, async () => {
        got = await lookup(name);
        return JSON.stringify(got) === JSON.stringify([...want].sort());
      }, 60_000, 500).catch(() => assert.fail(`${name}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`));
    };
    await expect('web', [webIP]);
    await expect('web.default.svc.cluster.local', [webIP]);
    await expect('api.other.svc.cluster.local', [apiIP]);
    await expect('kubernetes.default.svc.cluster.local', ['10.43.0.1']);
    await expect('db', [db0, db1]);
    await expect('db-0.db.default.svc.cluster.local', [db0]);
    await expect('db-1.db.default.svc.cluster.local', [db1]);
    await expect('ext', ['192.0.2.7']);
    await expect('outside.example', ['192.0.2.7']);
    await expect('registry.lab', ['192.0.2.50']);
    // Absolute (trailing dot): busybox would otherwise try only the search list for a dotless name.
    await expect(`${cluster.node}.`, [cluster.netns.nodeIP]);
    // The kubelet's /etc/hosts names a StatefulSet pod by its FQDN too.
    const hosts = (await podExec(cluster, 'db-0', ['cat', '/etc/hosts'])).out;
    assert.match(hosts, new RegExp(`^${db0.replace(/\./g, '\\.')}\\tdb-0\\.db\\.default\\.svc\\.cluster\\.local\\tdb-0$`, 'm'));
    const missing = await podExec(cluster, 'client', ['nslookup', '-type=a', 'nope.default.svc.cluster.local']);
    assert.match(missing.out, /NXDOMAIN/);
    const srv = await podExec(cluster, 'client', ['nslookup', '-type=srv', '_pg._tcp.db.default.svc.cluster.local']);
    assert.match(srv.out, /5432 db-0\.db\.default\.svc\.cluster\.local/);
    assert.match(srv.out, /5432 db-1\.db\.default\.svc\.cluster\.local/);
  } finally {
    // The StatefulSet would recreate its pods while the cluster's cleanup empties the runtime.
    await cluster.kubectl(['delete', 'statefulset', 'db', '--cascade=orphan'], { timeoutMs: 30_000 });
  }
});

test('--disable coredns: no kube-dns Service and nothing listening', { skip, timeout: 300_000 }, async (t) => {
  const cluster = await startNodeCluster(t, ['--disable', 'coredns'], { label: 'nodns' });
  const r = await cluster.kubectl(['get', 'service', '-n', 'kube-system', 'kube-dns']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /NotFound|not found/);
  const listening = await cluster.netns.run('ss', ['-lun']);
  assert.doesNotMatch(listening.stdout, new RegExp(`${cluster.netns.nodeIP.replace(/\./g, '\\.')}:53\\b`));
});
