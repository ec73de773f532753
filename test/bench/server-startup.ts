/**
 * Benchmark: how fast one `k3s server --disable-agent` process gets going on a fresh data dir.
 * For each run it spawns the server, waits for its "k3s is up" log line and reads from it `ms`
 * (since runServer began) and `sinceProcessStartMs` (since Node started), and the CPU time
 * (user+sys) the process had used by then, from /proc. CPU time depends far less on machine
 * load than wall time, so compare that first on a shared machine.
 *
 *   node dist/test/bench/server-startup.js [runs] [entry ...]
 *
 * Entries default to the bundle users run (dist/bundle/k3s.mjs); name several (e.g.
 * dist/src/cli/main.js dist/bundle/k3s.mjs) for an A/B: they alternate within every round.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, K3S_BIN } from '../helpers/index.js';

const runs = Number(process.argv[2] ?? 5);
const entries = process.argv.length > 3 ? process.argv.slice(3).map((e) => resolve(e)) : [K3S_BIN];
const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

interface Sample {
  readonly ms: number;
  readonly sinceStart: number;
  readonly cpuMs: number;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat; [0] here is field 3.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
}

async function once(entry: string): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'k3s-bench-startup-'));
  const port = await freePort();
  const child = spawn(process.execPath, [entry, 'server', '--disable-agent', '-d', join(dir, 'data'), '--https-listen-port', String(port), '--write-kubeconfig', join(dir, 'kubeconfig.yaml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  try {
    return await new Promise<Sample>((done, fail) => {
      let buffered = '';
      const timer = setTimeout(() => fail(new Error(`${entry}: no "k3s is up" within 60 s`)), 60_000);
      child.once('exit', (code) => fail(new Error(`${entry}: server exited with ${code}:\n${buffered}`)));
      child.stderr!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const line = buffered.split('\n').find((l) => l.includes('"k3s is up"'));
        if (!line) return;
        clearTimeout(timer);
        const up = JSON.parse(line) as { ms: number; sinceProcessStartMs: number };
        done({ ms: up.ms, sinceStart: up.sinceProcessStartMs, cpuMs: cpuMs(child.pid!) });
      });
    });
  } finally {
    child.removeAllListeners('exit');
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const samples = new Map<string, Sample[]>(entries.map((e) => [e, []]));
for (let round = 0; round < runs; round++) {
  for (const entry of entries) samples.get(entry)!.push(await once(entry));
}
console.log(`k3s server --disable-agent, fresh data dir, ${runs} runs each; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| entry | k3s is up: sinceProcessStartMs (median / best) | ms since runServer | CPU at up (ms) |');
console.log('|---|---:|---:|---:|');
for (const [entry, list] of samples) {
  const since = list.map((s) => s.sinceStart);
  console.log(`| ${entry} | ${median(since)} / ${Math.min(...since)} | ${median(list.map((s) => s.ms))} | ${median(list.map((s) => s.cpuMs))} |`);
}
