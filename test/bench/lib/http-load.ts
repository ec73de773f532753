/**
 * A small closed-loop HTTP load generator for the benchmarks: `concurrency` workers each issue
 * GETs back to back on fresh connections (no keep-alive, so every request is a new connection
 * through the proxy's NAT) for `durationMs`. Prints one JSON line: requests/s, p50/p99 in ms,
 * errors. Run where the target is reachable (e.g. inside a network namespace):
 *   node http-load.js URL [durationMs] [concurrency]
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

const [url, durationArg, concurrencyArg] = process.argv.slice(2);
if (!url) {
  console.error('usage: http-load URL [durationMs] [concurrency]');
  process.exit(2);
}
const durationMs = Number(durationArg ?? 5000);
const concurrency = Number(concurrencyArg ?? 4);

function once(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url!, { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const latencies: number[] = [];
let errors = 0;
const end = performance.now() + durationMs;
const start = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (await once()) latencies.push(performance.now() - t0);
      else errors++;
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? NaN) * 100) / 100;
console.log(JSON.stringify({ rps: Math.round(latencies.length / elapsed), p50: pct(50), p99: pct(99), requests: latencies.length, errors }));
