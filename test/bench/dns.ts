/**
 * Benchmark: cluster DNS queries per second and latency (p50/p99), in process against a real API
 * server on SQLite with 200 Services (one headless with 50 endpoints). The load (EDNS(0) queries) comes from a
 * worker thread (its own event loop) keeping 32 UDP queries in flight for 8 s per case:
 *  - a ClusterIP Service (the common case),
 *  - a headless Service with 50 endpoints (the biggest answer),
 *  - NXDOMAIN for a search-list miss (what ndots:5 makes pods ask first),
 *  - a name forwarded to an upstream (another worker answering at once).
 * Run: node dist/test/bench/dns.js
 */
import { createSocket } from 'node:dgram';
import { loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { KubeObject } from '../../src/api/types.js';
import { ClusterDns } from '../../src/dns/index.js';
import { CLASS_IN, decode, encode, query, RCODE, TYPE } from '../../src/dns/wire.js';
import { startHarness } from '../integration/apiserver/harness.js';
import { afterHooks } from './lib/after-hooks.js';

const IN_FLIGHT = 32;
const SECONDS = 8;

interface LoadJob {
  readonly role: 'load';
  readonly port: number;
  readonly name: string;
  readonly expectRcode: number;
}
interface UpstreamJob {
  readonly role: 'upstream';
}

async function load(job: LoadJob): Promise<{ qps: number; p50: number; p99: number; errors: number }> {
  const socket = createSocket('udp4');
  const sentAt = new Map<number, bigint>();
  const latencies: number[] = [];
  let errors = 0;
  let nextId = 0;
  const deadline = Date.now() + SECONDS * 1000;
  // With EDNS(0) at 1232 octets, so the 50-endpoint answer fits in one datagram (without it, TC and a TCP retry).
  const packets = Array.from({ length: IN_FLIGHT * 4 }, (_, id) => encode(query(id, job.name, TYPE.A, { udpSize: 1232 })));
  const send = (): void => {
    const id = nextId++ % (IN_FLIGHT * 4);
    sentAt.set(id, process.hrtime.bigint());
    socket.send(packets[id]!, job.port, '127.0.0.1');
  };
  return new Promise((resolve) => {
    socket.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const t0 = sentAt.get(id);
      if (t0 === undefined) return;
      sentAt.delete(id);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if ((msg.readUInt16BE(2) & 0xf) !== job.expectRcode) errors++;
      if (Date.now() < deadline) send();
      else if (sentAt.size === 0) finish();
    });
    // A lost datagram would stall one slot: re-send stale ones.
    const sweeper = setInterval(() => {
      const now = process.hrtime.bigint();
      for (const [id, t0] of sentAt) if (now - t0 > 1_000_000_000n) {
        sentAt.delete(id);
        errors++;
        if (Date.now() < deadline) send();
      }
      if (Date.now() >= deadline && sentAt.size === 0) finish();
    }, 200);
    const started = Date.now();
    const finish = (): void => {
      clearInterval(sweeper);
      socket.close();
      latencies.sort((a, b) => a - b);
      const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
      resolve({ qps: Math.round(latencies.length / ((Date.now() - started) / 1000)), p50: at(0.5), p99: at(0.99), errors });
    };
    socket.bind(0, '127.0.0.1', () => {
      for (let i = 0; i < IN_FLIGHT; i++) send();
    });
  });
}

function upstream(): void {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const q = decode(msg);
    const name = q.questions[0]?.name ?? '';
    socket.send(encode({ ...q, response: true, recursionAvailable: true, answers: [{ name, class: CLASS_IN, ttl: 60, data: { type: TYPE.A, address: '192.0.2.7' } }], additionals: [] }), rinfo.port, rinfo.address);
  });
  socket.bind(0, '127.0.0.1', () => parentPort?.postMessage(socket.address().port));
}

function inWorker<T>(job: LoadJob | UpstreamJob, onMessage?: (value: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.on('message', (v: T) => (onMessage ? onMessage(v) : resolve(v)));
    worker.on('error', reject);
    if (onMessage) resolve(undefined as T);
  });
}

async function main(): Promise<void> {
  const hooks = afterHooks();
  const t = hooks.t;
  const harness = await startHarness(t);
  const client = harness.server.loopback();
  const services = { group: '', version: 'v1', resource: 'services', namespace: 'default' };
  for (let i = 0; i < 200; i++) await client.create(services, { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}` }, spec: { ports: [{ name: 'http', port: 80 }] } });
  await client.create(services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } });
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'headless-x', labels: { 'kubernetes.io/service-name': 'headless' } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: 50 }, (_, i) => ({ addresses: [`10.42.3.${i + 1}`], conditions: { ready: true } })),
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  };
  await client.create({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: 'default' }, slice);

  const dns = new ClusterDns({ client, clusterDomain: 'cluster.local', clusterIPs: ['10.43.0.10'], listen: { address: '127.0.0.1', port: 0 }, resolvConf: undefined, nodeName: 'bench' });
  const upstreamPort = await new Promise<number>((resolve) => void inWorker<number>({ role: 'upstream' }, resolve));
  dns.upstream.setServers([{ host: '127.0.0.1', port: upstreamPort }]);
  const ac = new AbortController();
  await dns.start(ac.signal);
  const port = dns.bound!.udpPort;
  const cases: [string, string, number][] = [
    ['ClusterIP Service (A)', 'svc-42.default.svc.cluster.local', RCODE.NOERROR],
    ['headless, 50 endpoints (A)', 'headless.default.svc.cluster.local', RCODE.NOERROR],
    ['search-list miss (NXDOMAIN)', 'example.com.default.svc.cluster.local', RCODE.NXDOMAIN],
    ['forwarded to upstream', 'outside.example', RCODE.NOERROR],
  ];
  console.log(`cluster DNS, ${IN_FLIGHT} UDP queries in flight, ${SECONDS} s per case; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| case | queries/s | p50 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|');
  for (const [label, name, expectRcode] of cases) {
    const r = await inWorker<Awaited<ReturnType<typeof load>>>({ role: 'load', port, name, expectRcode });
    console.log(`| ${label} | ${r.qps} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`);
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  ac.abort();
  await dns.stopped();
  await hooks.run();
  process.exit(0);
}

if (isMainThread) {
  await main();
} else {
  const job = workerData as LoadJob | UpstreamJob;
  if (job.role === 'upstream') upstream();
  else parentPort?.postMessage(await load(job));
}
