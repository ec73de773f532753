/**
 * Benchmark: how fast a Service whose Deployment is scaled to zero starts refusing, and what a
 * client sees meanwhile. A root node in its own network namespace; two busybox httpd pods behind
 * a NodePort Service; per round, after `kubectl scale --replicas=0`, a prober inside the node's
 * namespace opens a connection to the cluster IP and to 127.0.0.1:<node port> every 25 ms (1.5 s
 * timeout each) while the proxy's REJECT rule (iptables-save) and the pods' sandboxes and
 * containers (CRI) are polled. Printed per round: when the REJECT rule appeared, when the
 * containers and sandboxes were gone, the refusals of connections opened while a poll still saw
 * no rule (a dying pod's own), and any connection that timed out (DNATed to a pod whose sandbox
 * was gone). All times in ms from the scale command's start, on one clock.
 * Run as root: node dist/test/bench/proxy-scale-zero.js [rounds]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { CriClient, containerdPaths } from '../../src/agent/index.js';
import { waitFor } from '../helpers/index.js';
import { BUSYBOX, startNodeCluster, type NodeCluster } from '../e2e/node-cluster.js';
import { afterHooks } from './lib/after-hooks.js';

const rounds = Number(process.argv[2] ?? 5);
const hooks = afterHooks();
const t = hooks.t;

const deployment = (replicas: number): string =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'web', image: BUSYBOX, command: ['sh', '-c', 'mkdir -p /www; echo ok > /www/ready.txt; exec httpd -f -p 8080 -h /www'], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/ready.txt', port: 8080 }, periodSeconds: 1, failureThreshold: 1 } }],
        },
      },
    },
  });
const service = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });

interface Row {
  at: number;
  kind: string;
  r: string | boolean;
}

/** The prober, run with node inside the namespace; prints one JSON row per result, times from T0 (epoch ms). */
const PROBER = `
const net = require('net'); const { execFile } = require('child_process'); const t0 = Number(process.env.T0);
const [ip, nodePort, ms] = process.argv.slice(1); const end = Date.now() + Number(ms);
const probe = (h, p) => new Promise((res) => { const s = net.connect(Number(p), h); const tm = setTimeout(() => { s.destroy(); res('timeout'); }, 1500);
  s.on('connect', () => { clearTimeout(tm); s.destroy(); res('connected'); }); s.on('error', (e) => { clearTimeout(tm); res(e.code); }); });
(async () => { while (Date.now() < end) { const at = Date.now() - t0;
  for (const [kind, h, p] of [['clusterIP', ip, 80], ['nodePort', '127.0.0.1', nodePort]]) probe(h, p).then((r) => console.log(JSON.stringify({ kind, at, r })));
  await new Promise((r) => setTimeout(r, 25)); } })();
(async () => { while (Date.now() < end) { const at = Date.now() - t0;
  const out = await new Promise((res) => execFile('iptables-save', ['-t', 'filter'], (e, o) => res(String(o))));
  console.log(JSON.stringify({ kind: 'reject', at, r: out.includes('default/web:http has no endpoints') })); await new Promise((r) => setTimeout(r, 50)); } })();`;

async function readyEndpoints(cluster: NodeCluster): Promise<number> {
  const r = await cluster.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json']);
  const slices = JSON.parse(r.stdout || '{"items":[]}') as { items: { endpoints?: { conditions?: { ready?: boolean } }[] }[] };
  return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true).length;
}

async function round(cluster: NodeCluster, clusterIP: string, nodePort: string): Promise<string> {
  await cluster.kubectl(['scale', 'deployment', 'web', '--replicas=2']);
  await waitFor('two ready endpoints', async () => (await readyEndpoints(cluster)) === 2, 120_000, 300);
  await new Promise((r) => setTimeout(r, 2000));
  const cri = new CriClient(containerdPaths(cluster.dataDir, { rootless: false }).socket);
  const t0 = Date.now();
  const prober = spawn(cluster.netns.prefix[0]!, [...cluster.netns.prefix.slice(1), process.execPath, '-e', PROBER, clusterIP, nodePort, '12000'], { env: { ...process.env, T0: String(t0) } });
  let out = '';
  prober.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const runtime: Row[] = [];
  let stop = false;
  const poll = (async () => {
    while (!stop) {
      const sandboxes = await cri.listPodSandbox({ labelSelector: { app: 'web' } });
      const containers = await cri.listContainers({ labelSelector: { 'io.kubernetes.container.name': 'web' } });
      runtime.push({ at: Date.now() - t0, kind: 'containers', r: String(containers.filter((c) => c.state === 'CONTAINER_RUNNING').length) });
      runtime.push({ at: Date.now() - t0, kind: 'sandboxes', r: String(sandboxes.length) });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await cluster.kubectl(['scale', 'deployment', 'web', '--replicas=0']);
  await new Promise((r) => prober.on('exit', r));
  stop = true;
  await poll;
  cri.close();
  const rows = [...out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row), ...runtime].sort((a, b) => a.at - b.at);
  const first = (pred: (r: Row) => boolean): number | undefined => rows.find(pred)?.at;
  const rejectAt = first((r) => r.kind === 'reject' && r.r === true);
  const containersGone = first((r) => r.kind === 'containers' && r.r === '0');
  const sandboxesGone = first((r) => r.kind === 'sandboxes' && r.r === '0');
  // A poll that began at `at` and found no rule proves there was none at `at` or before (the
  // rule is only added in this phase): a refusal of a connection opened by then came from a pod.
  const lastWithout = Math.max(-1, ...rows.filter((r) => r.kind === 'reject' && r.r === false).map((r) => r.at));
  const early = rows.filter((r) => (r.kind === 'clusterIP' || r.kind === 'nodePort') && r.r === 'ECONNREFUSED' && r.at <= lastWithout).length;
  const timeouts = rows.filter((r) => r.r === 'timeout').map((r) => `${r.kind}@${r.at}`);
  return `REJECT rule at ${rejectAt ?? 'never'} ms, containers gone at ${containersGone ?? '-'} ms, sandboxes gone at ${sandboxesGone ?? '-'} ms; refusals before the rule (from dying pods): ${early}; timed-out connections: ${timeouts.length ? timeouts.join(' ') : 'none'}`;
}

try {
  const cluster = await startNodeCluster(t, [], { label: 'szero' });
  for (const manifest of [deployment(2), service]) {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const clusterIP = (await cluster.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).stdout.trim();
  const nodePort = (await cluster.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).stdout.trim();
  for (let i = 0; i < rounds; i++) {
    const before = loadavg()[0]!.toFixed(2);
    console.log(`round ${i} (load ${before}): ${await round(cluster, clusterIP, nodePort)}`);
  }
} finally {
  await hooks.run();
}
