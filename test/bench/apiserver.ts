/**
 * Benchmark: a real `k3s server --disable-agent` (own process, SQLite) driven over HTTPS/HTTP2
 * with the admin client certificate, as kubectl and client-go talk to it:
 *   - idle RSS of the server
 *   - create / get / update latency p50/p99 and throughput with concurrent clients
 *   - paced writes at a fixed rate (the target: p99 <= 25 ms at 200 writes/s)
 *   - LIST of 10k configmaps
 *   - watch fan-out: 100 watchers, time from write acknowledged to each watcher's event
 *
 *   node .build/<you>/test/bench/apiserver.js [requests=2000] [concurrency=16]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { K3S_BIN } from '../helpers/index.js';

const requests = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}
function summary(name: string, latencies: number[], seconds: number): void {
  const s = [...latencies].sort((a, b) => a - b);
  console.log(`${name.padEnd(22)} n=${String(s.length).padEnd(6)} p50=${pct(s, 50).toFixed(2)}ms p99=${pct(s, 99).toFixed(2)}ms  ${(s.length / seconds).toFixed(0)}/s`);
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

interface Client {
  request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }>;
  stream(path: string, onLine: (line: string) => void): () => void;
  close(): void;
}

function client(url: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Client {
  const session: ClientHttp2Session = connect(url, { ...tls });
  session.on('error', () => undefined);
  return {
    request(method, path, body) {
      return new Promise((res, rej) => {
        const headers: Record<string, string> = { ':method': method, ':path': path, accept: 'application/json' };
        if (body !== undefined) headers['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
        const req = session.request(headers);
        let status = 0;
        const chunks: Buffer[] = [];
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res({ status, text: Buffer.concat(chunks).toString() }));
        req.on('error', rej);
        if (body !== undefined) req.end(JSON.stringify(body));
        else req.end();
      });
    },
    stream(path, onLine) {
      const req = session.request({ ':method': 'GET', ':path': path, accept: 'application/json' });
      let buffer = '';
      req.on('data', (c: Buffer) => {
        buffer += c.toString();
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, i));
          buffer = buffer.slice(i + 1);
        }
      });
      req.on('error', () => undefined);
      return () => req.close();
    },
    close: () => session.close(),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

async function pool(n: number, workers: number, job: (i: number) => Promise<number>): Promise<[number[], number]> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        latencies.push(await job(i));
      }
    }),
  );
  return [latencies, (performance.now() - t0) / 1000];
}

const cm = (ns: string, name: string, extra: Record<string, string> = {}): unknown => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { payload: 'x'.repeat(200), ...extra } });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k3s-bench-apiserver-'));
  const port = await freePort();
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const t0 = performance.now();
  const server = spawn(process.execPath, [K3S_BIN, 'server', '--disable-agent', '-d', join(dir, 'data'), '--https-listen-port', String(port), '--write-kubeconfig', kubeconfig], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  let log = '';
  server.stderr.on('data', (d: Buffer) => (log += d.toString()));
  try {
    while (!log.includes('"k3s is up"')) {
      if (server.exitCode !== null) throw new Error(`server exited:\n${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(`startup (fresh data dir, PKI generated): ${(performance.now() - t0).toFixed(0)} ms to "k3s is up"`);
    const kc = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, string> }[] };
    const tls = {
      ca: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data']!, 'base64'),
      cert: Buffer.from(kc.users[0]!.user['client-certificate-data']!, 'base64'),
      key: Buffer.from(kc.users[0]!.user['client-key-data']!, 'base64'),
    };
    const url = `https://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 2000));
    console.log(`idle RSS: ${(rssKiB(server.pid!) / 1024).toFixed(1)} MiB`);

    // Several HTTP/2 sessions, as several clients would open.
    const clients = Array.from({ length: Math.min(concurrency, 8) }, () => client(url, tls));
    const pick = (i: number): Client => clients[i % clients.length]!;
    const c0 = clients[0]!;
    for (const ns of ['bench', 'bench-list', 'bench-watch']) await c0.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

    const check = (r: { status: number; text: string }, ok: number[]): void => {
      if (!ok.includes(r.status)) throw new Error(`unexpected ${r.status}: ${r.text.slice(0, 200)}`);
    };
    let [lat, secs] = await pool(requests, concurrency, async (i) => {
      const [ms, r] = await timed(() => pick(i).request('POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `cm-${i}`)));
      check(r, [201]);
      return ms;
    });
    summary(`create (c=${concurrency})`, lat, secs);
    [lat, secs] = await pool(requests, concurrency, async (i) => {
      const [ms, r] = await timed(() => pick(i).request('GET', `/api/v1/namespaces/bench/configmaps/cm-${i}`));
      check(r, [200]);
      return ms;
    });
    summary(`get (c=${concurrency})`, lat, secs);
    [lat, secs] = await pool(requests, concurrency, async (i) => {
      const [ms, r] = await timed(() => pick(i).request('PUT', `/api/v1/namespaces/bench/configmaps/cm-${i}`, cm('bench', `cm-${i}`, { v: '2' })));
      check(r, [200]);
      return ms;
    });
    summary(`update (c=${concurrency})`, lat, secs);
    [lat, secs] = await pool(requests, concurrency, async (i) => {
      const [ms, r] = await timed(() => pick(i).request('PATCH', `/api/v1/namespaces/bench/configmaps/cm-${i}`, { data: { v: '3' } }));
      check(r, [200]);
      return ms;
    });
    summary(`patch (c=${concurrency})`, lat, secs);
    [lat, secs] = await pool(200, 4, async (i) => {
      const [ms, r] = await timed(() => pick(i).request('GET', '/api/v1/namespaces/bench/configmaps?limit=100'));
      check(r, [200]);
      return ms;
    });
    summary('list 100 of 2k', lat, secs);

    // Paced writes: 200/s for 10 s, each an independent create.
    const rate = 200;
    const paced: number[] = [];
    const tStart = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < rate * 10; i++) {
      const due = tStart + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(
        timed(() => pick(i).request('POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `paced-${i}`))).then(([ms, r]) => {
          check(r, [201]);
          paced.push(ms);
        }),
      );
    }
    await Promise.all(inflight);
    summary(`paced create ${rate}/s`, paced, (performance.now() - tStart) / 1000);

    // LIST of 10k configmaps.
    const [fillLat, fillSecs] = await pool(10_000, concurrency, async (i) => {
      const [ms, r] = await timed(() => pick(i).request('POST', '/api/v1/namespaces/bench-list/configmaps', cm('bench-list', `l-${i}`)));
      check(r, [201]);
      return ms;
    });
    summary(`create 10k (c=${concurrency})`, fillLat, fillSecs);
    const lists: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [ms, r] = await timed(() => c0.request('GET', '/api/v1/namespaces/bench-list/configmaps'));
      check(r, [200]);
      if (i === 0) console.log(`LIST 10k response: ${(r.text.length / 1024 / 1024).toFixed(1)} MiB`);
      lists.push(ms);
    }
    summary('LIST 10k configmaps', lists, lists.reduce((a, b) => a + b, 0) / 1000);
    console.log(`RSS after 12k objects: ${(rssKiB(server.pid!) / 1024).toFixed(1)} MiB`);

    // Watch fan-out: 100 watchers on one namespace; each write's event timed at every watcher.
    const watchers = 100;
    const sentAt = new Map<string, number>();
    const fanout: number[] = [];
    const cancels: (() => void)[] = [];
    for (let w = 0; w < watchers; w++) {
      cancels.push(
        pick(w).stream('/api/v1/namespaces/bench-watch/configmaps?watch=true&resourceVersion=0', (line) => {
          const event = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
          const t = sentAt.get(event.object.metadata.name);
          if (t !== undefined && event.type === 'ADDED') fanout.push(performance.now() - t);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 500));
    const writes = 200;
    const tw = performance.now();
    for (let i = 0; i < writes; i++) {
      const name = `w-${i}`;
      sentAt.set(name, performance.now());
      check(await c0.request('POST', '/api/v1/namespaces/bench-watch/configmaps', cm('bench-watch', name)), [201]);
    }
    const deadline = performance.now() + 10_000;
    while (fanout.length < writes * watchers && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    summary(`watch fan-out x${watchers}`, fanout, (performance.now() - tw) / 1000);
    console.log(`events delivered: ${fanout.length}/${writes * watchers}`);
    for (const c of cancels) c();
    for (const c of clients) c.close();
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
