/**
 * Benchmark: the SQLite driver in-process (no gRPC): sequential puts/s, puts/s with 16
 * concurrent writers, range of 10k keys, watch event latency p50/p99 (put issued -> event
 * delivered), RSS. Values are 1 KiB, as in the etcd comparison.
 *
 *   node .build/<you>/test/bench/datastore-sqlite.js [puts=5000] [synchronous=full|normal]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseEndpoint } from '../../src/datastore/endpoint.js';
import { openBackend } from '../../src/datastore/registry.js';
import { prefixRange, type Backend } from '../../src/datastore/types.js';

const puts = Number(process.argv[2] ?? 5000);
const sync = process.argv[3] ?? 'full';
const value = new Uint8Array(1024).fill(120);
const dir = mkdtempSync(join(tmpdir(), 'k3s-bench-sqlite-'));

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

async function sequential(store: Backend): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < puts; i++) await store.create(`/registry/seq/${i}`, value);
  return puts / ((performance.now() - t0) / 1000);
}

async function concurrent(store: Backend, writers: number): Promise<number> {
  const per = Math.ceil(puts / writers);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < per; i++) await store.create(`/registry/conc/${w}/${i}`, value);
    }),
  );
  return (per * writers) / ((performance.now() - t0) / 1000);
}

async function range10k(store: Backend): Promise<{ p50: number; p99: number }> {
  const tx = 10_000;
  for (let i = 0; i < tx; i++) await store.create(`/registry/range/${String(i).padStart(5, '0')}`, value);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const r = await store.range(prefixRange('/registry/range/'));
    times.push(performance.now() - t0);
    if (r.kvs.length !== tx) throw new Error(`range returned ${r.kvs.length}`);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

async function watchLatency(store: Backend, n: number): Promise<{ p50: number; p99: number }> {
  const sent = new Map<string, number>();
  const lat: number[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  const w = store.watch(prefixRange('/registry/watch/'), {
    onEvents: (events) => {
      const now = performance.now();
      for (const e of events) {
        const t = sent.get(e.kv.key);
        if (t !== undefined) lat.push(now - t);
      }
      if (lat.length >= n) done();
    },
    onError: (e) => {
      throw e;
    },
  });
  for (let i = 0; i < n; i++) {
    const key = `/registry/watch/${i}`;
    sent.set(key, performance.now());
    await store.create(key, value);
    // Spread writes out a little, as a cluster's steady stream, rather than one burst.
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  await all;
  w.cancel();
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Compacts a long history while a writer keeps writing: compaction time and the worst put latency meanwhile. */
async function compactionStall(store: Backend, updates: number): Promise<{ compactMs: number; maxPutMsDuring: number; p99PutMsDuring: number; putsDuring: number }> {
  const revs = new Map<string, number>();
  for (let i = 0; i < updates; i++) {
    const key = `/registry/churn/${i % 100}`;
    const prev = revs.get(key);
    const res = prev === undefined ? { revision: (await store.create(key, value)).revision } : await store.update(key, value, prev);
    revs.set(key, res.revision);
  }
  const target = await store.currentRevision();
  let compacting = true;
  const lat: number[] = [];
  const writer = (async () => {
    let i = 0;
    while (compacting) {
      const t0 = performance.now();
      await store.create(`/registry/during/${i++}`, value);
      lat.push(performance.now() - t0);
      // Requests arrive from the network: let timers and I/O (and compaction) run between them.
      await new Promise((r) => setImmediate(r));
    }
  })();
  const t0 = performance.now();
  await store.compact(target);
  const compactMs = performance.now() - t0;
  compacting = false;
  await writer;
  lat.sort((a, b) => a - b);
  return { compactMs, maxPutMsDuring: lat[lat.length - 1] ?? 0, p99PutMsDuring: pct(lat, 99), putsDuring: lat.length };
}

const store = await openBackend(parseEndpoint(`sqlite://${join(dir, 'state.db')}?synchronous=${sync}`), {
  dataDir: dir,
  compactIntervalMs: 0,
  logger: pino({ level: 'silent' }),
});
try {
  const seq = await sequential(store);
  const conc = await concurrent(store, 16);
  const range = await range10k(store);
  const watch = await watchLatency(store, 2000);
  const compaction = await compactionStall(store, 20_000);
  const rssMiB = process.memoryUsage().rss / 1024 / 1024;
  const dbMiB = (await store.dbSize()) / 1024 / 1024;
  console.log(
    JSON.stringify(
      {
        driver: 'sqlite (in-process)',
        synchronous: sync,
        puts,
        sequentialPutsPerSec: Math.round(seq),
        concurrent16PutsPerSec: Math.round(conc),
        range10kMs: { p50: +range.p50.toFixed(2), p99: +range.p99.toFixed(2) },
        watchLatencyMs: { p50: +watch.p50.toFixed(3), p99: +watch.p99.toFixed(3) },
        compaction20kRevisions: { ms: Math.round(compaction.compactMs), putsDuring: compaction.putsDuring, putP99MsDuring: +compaction.p99PutMsDuring.toFixed(2), putMaxMsDuring: +compaction.maxPutMsDuring.toFixed(2) },
        rssMiB: +rssMiB.toFixed(1),
        dbMiB: +dbMiB.toFixed(1),
      },
      null,
      2,
    ),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
