/**
 * Benchmark: the etcd face on the SQLite store against a real etcd 3.4, with the same gRPC
 * client (test/integration/etcd/grpc-client.ts) and the same load, both servers in their own
 * process on loopback TCP, both durable (SQLite synchronous=FULL; etcd always fsyncs):
 *   sequential puts/s, puts/s from 16 concurrent clients (one connection each, spread over 4
 *   worker threads so one client event loop is not the limit), the time to range 10k keys,
 *   watch latency p50/p99 (put issued -> event received), server RSS, and the server's CPU
 *   time (user+sys) per put, which a loaded machine distorts far less than puts/s.
 * Values are 1 KiB. The servers take turns for several rounds; each metric keeps its best.
 * Run: node <build>/test/bench/etcd-face.js [puts=1000] [watchSamples=300] [rounds=3] [other etcd-face.js ...]
 * Each extra argument is the etcd-face.js of another build, whose face joins the rotation
 * (A/B of two builds of the face in one run, against the same etcd).
 */
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBackend, parseEndpoint } from '../../src/datastore/index.js';
import { EtcdFace } from '../../src/etcd/index.js';
import { configureLogging } from '../../src/log/index.js';
import { freePort } from '../helpers/index.js';
import { startEtcd } from '../helpers/db-servers.js';
import { etcdClient, type EtcdClient, type Msg } from '../integration/etcd/grpc-client.js';

const VALUE = Buffer.alloc(1024, 'v');
const CONCURRENCY = 16;
/** Worker threads the 16 clients are spread over. */
const CLIENT_THREADS = 4;
const RANGE_KEYS = 10_000;

interface Result {
  seqPutsPerSec: number;
  concPutsPerSec: number;
  rangeMs: number;
  watchP50Ms: number;
  watchP99Ms: number;
  rssMiB: number;
  peakRssMiB: number;
  /** Server CPU (user+sys, all threads) per sequential put, ms: far less load-dependent than puts/s. */
  seqCpuMsPerPut: number;
  /** The same over the 16-client phase. */
  concCpuMsPerPut: number;
}

/** Child mode: serve the face on SQLite until killed. */
async function serve(dir: string, port: number): Promise<void> {
  configureLogging({ debug: false, level: 'warn' });
  const backend = await openBackend(parseEndpoint(`sqlite://${join(dir, 'state.db')}`), { dataDir: dir });
  const face = new EtcdFace(backend, { socketPath: join(dir, 'kine.sock'), tcpAddress: `127.0.0.1:${port}` });
  await face.start(new AbortController().signal);
  console.log('ready');
}

/** Starts the face of the build whose etcd-face.js is `script` (default: this one). */
async function startFaceProcess(script = fileURLToPath(import.meta.url)): Promise<{ target: string; pid: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'k3s-bench-face-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [script, 'serve', dir, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('ready')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the face did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    target: `127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    async stop() {
      child.kill('SIGKILL');
      if (child.exitCode === null) await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** User+sys CPU of a process so far, ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rss(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakRssMiB: kb('VmHWM') / 1024 };
}

const put = (c: EtcdClient, key: string): Promise<Msg> => c.call('KV', 'Put', { key: Buffer.from(key), value: VALUE });

interface ClientThreadJob {
  readonly target: string;
  readonly prefix: string;
  /** Client numbers this thread runs. */
  readonly clients: readonly number[];
  readonly perClient: number;
}

/**
 * Starts CLIENT_THREADS worker threads holding the 16 clients (connected and warmed up);
 * run() lets them all put at once and resolves when every client is done.
 */
async function clientThreads(target: string, prefix: string, perClient: number): Promise<{ run(): Promise<void> }> {
  const workers = Array.from({ length: CLIENT_THREADS }, (_, t) => {
    const job: ClientThreadJob = { target, prefix, perClient, clients: Array.from({ length: CONCURRENCY / CLIENT_THREADS }, (_, i) => t * (CONCURRENCY / CLIENT_THREADS) + i) };
    return new Worker(new URL(import.meta.url), { workerData: job });
  });
  const next = (w: Worker): Promise<string> =>
    new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  await Promise.all(workers.map(next));
  return {
    async run() {
      const done = workers.map(next);
      for (const w of workers) w.postMessage('go');
      await Promise.all(done);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Worker-thread side of clientThreads. */
async function clientThread(job: ClientThreadJob): Promise<void> {
  const port = parentPort!;
  const clients = job.clients.map((n) => ({ n, c: etcdClient(job.target, true) }));
  await Promise.all(clients.map(({ c }) => put(c, '/warmup')));
  const go = new Promise((resolve) => port.once('message', resolve));
  port.postMessage('ready');
  await go;
  await Promise.all(clients.map(async ({ n, c }) => {
    for (let i = 0; i < job.perClient; i++) await put(c, `${job.prefix}/${n}/${i}`);
  }));
  for (const { c } of clients) c.close();
  port.postMessage('done');
}

async function measure(target: string, pid: number, puts: number, watchSamples: number, round: number): Promise<Result> {
  const p = `/bench/${round}`;
  const main = etcdClient(target, true);
  await put(main, '/warmup');

  let cpu0 = cpuMs(pid);
  let t0 = performance.now();
  for (let i = 0; i < puts; i++) await put(main, `${p}/seq/${i}`);
  const seqPutsPerSec = puts / ((performance.now() - t0) / 1000);
  const seqCpuMsPerPut = (cpuMs(pid) - cpu0) / puts;

  const perClient = Math.ceil((puts * 2) / CONCURRENCY);
  const threads = await clientThreads(target, `${p}/conc`, perClient);
  cpu0 = cpuMs(pid);
  t0 = performance.now();
  await threads.run();
  const concPutsPerSec = (perClient * CONCURRENCY) / ((performance.now() - t0) / 1000);
  const concCpuMsPerPut = (cpuMs(pid) - cpu0) / (perClient * CONCURRENCY);

  const clients = Array.from({ length: CONCURRENCY }, () => etcdClient(target, true));
  // 10k keys under one prefix, written by the 16 clients.
  const perLoader = RANGE_KEYS / CONCURRENCY;
  await Promise.all(clients.map(async (c, n) => {
    for (let i = 0; i < perLoader; i++) await put(c, `${p}/range/${String(n).padStart(2, '0')}/${String(i).padStart(5, '0')}`);
  }));
  const rangeTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const res = await main.call('KV', 'Range', { key: Buffer.from(`${p}/range/`), range_end: Buffer.from(`${p}/range0`) });
    rangeTimes.push(performance.now() - start);
    if (res.kvs.length !== RANGE_KEYS) throw new Error(`range returned ${res.kvs.length} keys, expected ${RANGE_KEYS}`);
  }
  for (const c of clients) c.close();

  // Watch latency: one watcher connection, one writer connection, one put at a time.
  const watcher = etcdClient(target, true);
  const stream = watcher.stream('Watch', 'Watch');
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let arrived: (() => void) | undefined;
  stream.on('data', (res: Msg) => {
    const now = performance.now();
    for (const e of res.events ?? []) {
      const key = Buffer.from(e.kv.key).toString();
      const start = sentAt.get(key);
      if (start !== undefined) latencies.push(now - start);
    }
    if ((res.events ?? []).length > 0) arrived?.();
  });
  const created = once(stream, 'data');
  stream.write({ create_request: { key: Buffer.from(`${p}/watch/`), range_end: Buffer.from(`${p}/watch0`) } });
  await created;
  for (let i = 0; i < watchSamples; i++) {
    const key = `${p}/watch/${i}`;
    const got = new Promise<void>((resolve) => (arrived = resolve));
    sentAt.set(key, performance.now());
    await Promise.all([put(main, key), got]);
  }
  stream.on('error', () => undefined); // the CANCELLED status of our own cancel
  stream.cancel();
  watcher.close();
  main.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  rangeTimes.sort((a, b) => a - b);
  return { seqPutsPerSec, concPutsPerSec, rangeMs: rangeTimes[2] ?? NaN, watchP50Ms: pct(50), watchP99Ms: pct(99), ...rss(pid), seqCpuMsPerPut, concCpuMsPerPut };
}

/** The same load on the SQLite Backend in this process, without gRPC: what the face adds. */
async function measureInProcess(puts: number, watchSamples: number): Promise<Omit<Result, 'rssMiB' | 'peakRssMiB' | 'seqCpuMsPerPut' | 'concCpuMsPerPut'>> {
  const dir = mkdtempSync(join(tmpdir(), 'k3s-bench-direct-'));
  const store = await openBackend(parseEndpoint(`sqlite://${join(dir, 'state.db')}`), { dataDir: dir });
  try {
    const write = (key: string): Promise<unknown> => store.txn([], [{ type: 'put', key, value: VALUE }], []);
    let t0 = performance.now();
    for (let i = 0; i < puts; i++) await write(`/seq/${i}`);
    const seqPutsPerSec = puts / ((performance.now() - t0) / 1000);
    const perClient = Math.ceil((puts * 2) / CONCURRENCY);
    t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, n) => {
      for (let i = 0; i < perClient; i++) await write(`/conc/${n}/${i}`);
    }));
    const concPutsPerSec = (perClient * CONCURRENCY) / ((performance.now() - t0) / 1000);
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, n) => {
      for (let i = 0; i < RANGE_KEYS / CONCURRENCY; i++) await write(`/range/${String(n).padStart(2, '0')}/${String(i).padStart(5, '0')}`);
    }));
    const rangeTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const res = await store.range({ key: '/range/', rangeEnd: '/range0' });
      rangeTimes.push(performance.now() - start);
      if (res.kvs.length !== RANGE_KEYS) throw new Error(`range returned ${res.kvs.length} keys`);
    }
    const latencies: number[] = [];
    const sentAt = new Map<string, number>();
    let arrived: (() => void) | undefined;
    const watch = store.watch({ key: '/watch/', rangeEnd: '/watch0' }, {
      onEvents: (events) => {
        const now = performance.now();
        for (const e of events) {
          const start = sentAt.get(e.kv.key);
          if (start !== undefined) latencies.push(now - start);
        }
        arrived?.();
      },
      onError: (err) => {
        throw err;
      },
    });
    for (let i = 0; i < watchSamples; i++) {
      const key = `/watch/${i}`;
      const got = new Promise<void>((resolve) => (arrived = resolve));
      sentAt.set(key, performance.now());
      await Promise.all([write(key), got]);
    }
    watch.cancel();
    latencies.sort((a, b) => a - b);
    rangeTimes.sort((a, b) => a - b);
    const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    return { seqPutsPerSec, concPutsPerSec, rangeMs: rangeTimes[2] ?? NaN, watchP50Ms: pct(50), watchP99Ms: pct(99) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const puts = Number(process.argv[2] ?? 1000);
  const watchSamples = Number(process.argv[3] ?? 300);
  const rounds = Number(process.argv[4] ?? 3);
  const others = process.argv.slice(5);
  configureLogging({ debug: false, level: 'warn' });

  // The servers run side by side and take turns, round after round, and each metric keeps
  // its best round: on a shared machine that compares the servers, not the neighbours' load.
  const faceNames = ['face', ...others.map((_, i) => `face ${String.fromCharCode(66 + i)}`)];
  const faces = [await startFaceProcess(), ...(await Promise.all(others.map((o) => startFaceProcess(o))))];
  const etcd = await startEtcd(undefined, { durable: true });
  const faceRuns: Result[][] = faces.map(() => []);
  const theirsRuns: Result[] = [];
  const directRuns: Result[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, face] of faces.entries()) faceRuns[i]!.push(await measure(face.target, face.pid, puts, watchSamples, round));
      theirsRuns.push(await measure(`${etcd.host}:${etcd.port}`, etcd.pid, puts, watchSamples, round));
      directRuns.push({ ...(await measureInProcess(puts, watchSamples)), rssMiB: NaN, peakRssMiB: NaN, seqCpuMsPerPut: NaN, concCpuMsPerPut: NaN });
    }
  } finally {
    for (const face of faces) await face.stop();
    await etcd.stop();
  }
  const best = (runs: Result[]): Result => {
    const last = runs[runs.length - 1];
    if (!last) throw new Error('no rounds');
    const max = (f: keyof Result): number => Math.max(...runs.map((r) => r[f]));
    const min = (f: keyof Result): number => Math.min(...runs.map((r) => r[f]));
    return {
      seqPutsPerSec: max('seqPutsPerSec'),
      concPutsPerSec: max('concPutsPerSec'),
      rangeMs: min('rangeMs'),
      watchP50Ms: min('watchP50Ms'),
      watchP99Ms: min('watchP99Ms'),
      rssMiB: last.rssMiB,
      peakRssMiB: last.peakRssMiB,
      seqCpuMsPerPut: min('seqCpuMsPerPut'),
      concCpuMsPerPut: min('concCpuMsPerPut'),
    };
  };
  const ours = faceRuns.map(best);
  const theirs = best(theirsRuns);
  const direct = best(directRuns);

  const rows: [string, keyof Result, number, string][] = [
    ['sequential puts/s (1 KiB)', 'seqPutsPerSec', 0, 'higher is better'],
    [`puts/s, ${CONCURRENCY} concurrent clients`, 'concPutsPerSec', 0, 'higher is better'],
    [`range of ${RANGE_KEYS / 1000}k keys, ms (median of 5)`, 'rangeMs', 1, 'lower is better'],
    ['watch latency p50, ms', 'watchP50Ms', 2, 'lower is better'],
    ['watch latency p99, ms', 'watchP99Ms', 2, 'lower is better'],
    ['server RSS after the run, MiB', 'rssMiB', 0, 'lower is better'],
    ['server peak RSS, MiB', 'peakRssMiB', 0, 'lower is better'],
    ['server CPU per sequential put, ms', 'seqCpuMsPerPut', 3, 'lower is better'],
    [`server CPU per put, ${CONCURRENCY} clients, ms`, 'concCpuMsPerPut', 3, 'lower is better'],
  ];
  const faceHeads = faceNames.map((n, i) => (i === 0 ? 'etcd face on SQLite' : `${n} (${others[i - 1]})`));
  console.log(`\n| metric | ${faceHeads.join(' | ')} | etcd 3.4 | ${faceNames.map((n) => `${n} / etcd`).join(' | ')} | SQLite Backend in-process (no gRPC) | |`);
  console.log(`|---|${faceNames.map(() => '---:|').join('')}---:|${faceNames.map(() => '---:|').join('')}---:|---|`);
  for (const [label, field, digits, better] of rows) {
    const inProcess = Number.isNaN(direct[field]) ? '-' : direct[field].toFixed(digits);
    const values = ours.map((o) => o[field].toFixed(digits)).join(' | ');
    const ratios = ours.map((o) => (o[field] / theirs[field]).toFixed(2)).join(' | ');
    console.log(`| ${label} | ${values} | ${theirs[field].toFixed(digits)} | ${ratios} | ${inProcess} | ${better} |`);
  }
  console.log(`\nLoad average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`);
  console.log(`Best of ${rounds} alternating rounds; per round ${puts} sequential puts, ${Math.ceil((puts * 2) / CONCURRENCY) * CONCURRENCY} concurrent puts (${CLIENT_THREADS} client threads), ${RANGE_KEYS} keys loaded, ${watchSamples} watch samples; RSS after the last round; node ${process.version}.`);
  const named: [string, Result[]][] = [...faceNames.map((n, i): [string, Result[]] => [n, faceRuns[i]!]), ['etcd', theirsRuns], ['in-process', directRuns]];
  for (const [name, runs] of named) {
    console.log(`${name} rounds: ${runs.map((r) => `${r.seqPutsPerSec.toFixed(0)}/${r.concPutsPerSec.toFixed(0)} puts/s, range ${r.rangeMs.toFixed(0)} ms, watch p50/p99 ${r.watchP50Ms.toFixed(2)}/${r.watchP99Ms.toFixed(2)} ms, server CPU/put ${r.seqCpuMsPerPut.toFixed(2)}/${r.concCpuMsPerPut.toFixed(2)} ms`).join('; ')}`);
  }
}

if (!isMainThread) {
  await clientThread(workerData as ClientThreadJob);
} else if (process.argv[2] === 'serve') {
  await serve(process.argv[3] ?? '.', Number(process.argv[4]));
} else {
  await main();
  process.exit(0);
}
