/**
 * Benchmark: the agent as root. Spawns `k3s server` (with its agent) on a fresh data dir and
 * measures: spawn -> node Ready; pod startup latency (create -> Running observed via watch,
 * local busybox image) p50/p90/p99 over N pods created BATCH at a time (default 20), or, with `rate=R`, paced
 * open loop at R pods per second (as density measurements do; the achieved rate is reported); CPU ms per pod of
 * every process in the node's network namespace (server, containerd, shims, with their reaped children such as
 * runc and CNI plugins) and machine-wide forks per pod (includes other load); RSS of the k3s process plus
 * containerd at idle with 0 and with 20 pods. The node runs in a network namespace of its own
 * (test/helpers/netns.ts), so its bridge and iptables rules never touch the host's. Pods are
 * force-deleted and the runtime cleaned before the server stops; the load average is printed
 * beside the figures (the machine is shared).
 * With `trace` as third argument, the pod starts run under test/bench/lib/cpu-trace.ts (perf) and the
 * CPU and process counts per pod start are printed per program (runc, shim, CNI plugins, ...).
 * Run as root: node dist/test/bench/agent-pods.js [pods=100] [batch=20 | rate=R] [trace]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerdPaths, CriClient } from '../../src/agent/index.js';
import type { KubeObject } from '../../src/api/types.js';
import { httpsClientFromKubeconfig } from '../../src/client/index.js';
import { K3S_BIN } from '../helpers/index.js';
import { createNetNamespace } from '../helpers/netns.js';
import { cleanUpRuntime } from '../integration/agent/runtime-cleanup.js';
import { pidsInNetns, startCpuTrace, type CpuTrace } from './lib/cpu-trace.js';
import { afterHooks } from './lib/after-hooks.js';

const total = Number(process.argv[2] ?? 100);
const mode = process.argv[3] ?? '20';
/** Pods per second in paced mode (open loop: creation never waits for earlier pods); 0 = batch mode. */
const RATE = mode.startsWith('rate=') ? Number(mode.slice(5)) : 0;
/** Pods created at once; 1 measures the unloaded path. */
const BATCH = RATE ? total : Number(mode);
const TRACE = process.argv[4] === 'trace';
const CLK_TCK = 100;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' } as const;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function pidsMatching(text: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(text)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU ticks (self plus reaped children) of every process whose network namespace is `nsInode`. */
function netnsCpuTicks(nsInode: string): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) !== nsInode) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks;
}

function machineForks(): number {
  return Number(/^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'k3s-bench-agent-'));
const dataDir = join(dir, 'data');
const kubeconfig = join(dir, 'kubeconfig.yaml');
const hooks = afterHooks();
const netns = await createNetNamespace(hooks.t, 'bench');
const node = `bench-${process.pid}`;
const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
const started = Date.now();
// BENCH_WRAP (e.g. "strace -f -e trace=execve -o FILE") runs the server under a tracer;
// BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") go to its node.
const wrap = (process.env['BENCH_WRAP'] ?? '').split(' ').filter(Boolean);
const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
const server = spawn(netns.prefix[0]!, [...netns.prefix.slice(1), ...wrap, process.execPath, ...nodeArgs, K3S_BIN, 'server', '-d', dataDir, '--write-kubeconfig', kubeconfig, '--node-name', node], { stdio: 'ignore' });
const socket = containerdPaths(dataDir, { rootless: false }).socket;
try {
  await until('kubeconfig', async () => (existsSync(kubeconfig) ? true : undefined), 60_000);
  // The API server listens inside the namespace: reach it at the node's address from here.
  writeFileSync(kubeconfig, readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/[^\s]+/, `server: https://${netns.nodeIP}:6443`));
  const client = httpsClientFromKubeconfig(kubeconfig, 'bench');
  await until('node Ready', async () => {
    const n = await client.get({ group: '', version: 'v1', resource: 'nodes' }, node);
    return (n['status'] as { conditions?: { type: string; status: string }[] }).conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
  }, 60_000);
  const readyMs = Date.now() - started;
  const containerd = pidsMatching(`containerd --config ${dataDir}`)[0] ?? 0;
  const idle = async (): Promise<number> => {
    await new Promise((r) => setTimeout(r, 5000));
    return Math.round((rssKb(server.pid ?? 0) + (containerd ? rssKb(containerd) : 0)) / 1024);
  };
  const rss0 = await idle();

  const createdAt = new Map<string, number>();
  const latencies: number[] = [];
  const watch = new AbortController();
  const done = new Set<string>();
  void client.watch(PODS, {}, (e) => {
    const name = e.object.metadata?.name ?? '';
    const phase = (e.object['status'] as { phase?: string } | undefined)?.phase;
    if (phase === 'Running' && createdAt.has(name) && !done.has(name)) {
      done.add(name);
      latencies.push(Date.now() - createdAt.get(name)!);
    }
  }, watch.signal).catch(() => undefined);
  let rss20 = 0;
  const nsInode = readlinkSync(`/proc/${server.pid ?? 0}/ns/net`);
  const trace: CpuTrace | undefined = TRACE ? await startCpuTrace(dir, pidsInNetns(nsInode)) : undefined;
  const cpu0 = netnsCpuTicks(nsInode);
  const forks0 = machineForks();
  const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'docker.io/library/busybox:1.35.0', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] }] } }) as KubeObject;
  const firstCreate = Date.now();
  let lastCreate = firstCreate;
  if (RATE) {
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = firstCreate + (i * 1000) / RATE;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const name = `bench-${i}`;
      createdAt.set(name, Date.now());
      lastCreate = Date.now();
      creates.push(client.create(PODS, pod(name)));
    }
    await Promise.all(creates);
    await until(`${total} pods Running`, async () => (done.size >= total ? true : undefined), 600_000);
  }
  for (let i = 0; !RATE && i < total; i += BATCH) {
    const names = Array.from({ length: Math.min(BATCH, total - i) }, (_, k) => `bench-${i + k}`);
    await Promise.all(
      names.map(async (name) => {
        createdAt.set(name, Date.now());
        lastCreate = Date.now();
        await client.create(PODS, pod(name));
      }),
    );
    await until(`${i + names.length} pods Running`, async () => (done.size >= i + names.length ? true : undefined), 300_000);
    if (i + names.length === 20) rss20 = await idle();
  }
  watch.abort();
  const traced = await trace?.stop();
  const cpuMsPerPod = Math.round(((netnsCpuTicks(nsInode) - cpu0) * 1000) / CLK_TCK / total);
  const forksPerPod = Number(((machineForks() - forks0) / total).toFixed(1));
  const achievedRate = Number(((total - 1) / Math.max(0.001, (lastCreate - firstCreate) / 1000)).toFixed(2));
  latencies.sort((a, b) => a - b);
  console.log(JSON.stringify({ pods: latencies.length, ...(RATE ? { rate: RATE, achievedRate } : { batch: BATCH }), nodeReadyMs: readyMs, podStartupMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] }, cpuMsPerPod, machineForksPerPod: forksPerPod, idleRssMB: { pods0: rss0, pods20: rss20 }, load: { before: loadBefore, after: loadavg().map((l) => Number(l.toFixed(2))) } }));
  if (traced) {
    const perPod = (n: number): number => Number((n / total).toFixed(2));
    console.log(`per pod start (${total} pods): program, processes, execs, CPU ms (perf sched_stat_runtime, node's tree incl. pod processes)`);
    for (const r of traced.filter((row) => row.cpuMs >= 0.5 || row.execs > 0)) console.log(`${r.comm.padEnd(16)} ${String(perPod(r.processes)).padStart(6)} ${String(perPod(r.execs)).padStart(6)} ${String(perPod(r.cpuMs)).padStart(8)}`);
    console.log(`total CPU ms per pod: ${perPod(traced.reduce((a, r) => a + r.cpuMs, 0))}`);
  }
  const list = await client.list(PODS);
  await Promise.all(list.items.map((p) => client.delete(PODS, p.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined)));
  const cri = new CriClient(socket);
  await until('runtime empty', async () => ((await cri.listPodSandbox()).length === 0 ? true : undefined), 120_000).catch(() => undefined);
  cri.close();
} finally {
  await cleanUpRuntime(socket);
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await hooks.run();
  rmSync(dir, { recursive: true, force: true });
}
