/**
 * Benchmark: what --rootless costs at startup and at idle. For `k3s server` as root and
 * `k3s server --rootless` as a fresh user, each on a new data dir: time from spawn until the host
 * sees the API answer /readyz through the written kubeconfig, and until the node is Ready there;
 * then, after a short idle, the RSS of every process of the server (launcher, rootlesskit,
 * slirp4netns, the server inside, containerd).
 * Run as root: node dist/test/bench/rootless-startup.js [runs]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { freePort, K3S_BIN } from '../helpers/index.js';
import { createTestUser, k3sCommandFor, type TestUser } from '../helpers/users.js';

const runs = Number(process.argv[2] ?? 5);
const cleanups: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };

/** GET `path` with the kubeconfig's CA and client certificate: the body on 200, else undefined. */
function get(kubeconfig: string, path: string): Promise<string | undefined> {
  if (!existsSync(kubeconfig)) return Promise.resolve(undefined);
  try {
    const doc = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const cluster = doc.clusters[0]!.cluster;
    const user = doc.users[0]!.user;
    const url = new URL(path, cluster.server);
    return new Promise((resolve) => {
      const req = request(url, {
        ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
        cert: Buffer.from(user['client-certificate-data'], 'base64'),
        key: Buffer.from(user['client-key-data'], 'base64'),
        timeout: 1000,
      }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      });
      req.on('error', () => resolve(undefined));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  } catch {
    return Promise.resolve(undefined);
  }
}

async function nodeReady(kubeconfig: string): Promise<boolean> {
  const body = await get(kubeconfig, '/api/v1/nodes');
  if (!body) return false;
  const nodes = (JSON.parse(body) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }).items;
  return nodes.some((n) => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

/** Every descendant of `pid` (and itself) with its command name and its parent's. */
function tree(pid: number): { pid: number; comm: string; parentComm: string }[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  const out: { pid: number; comm: string; parentComm: string }[] = [];
  const walk = (p: number, parentComm: string): void => {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
    } catch {
      return;
    }
    out.push({ pid: p, comm, parentComm });
    for (const c of children.get(p) ?? []) walk(c, comm);
  };
  walk(pid, '');
  return out;
}

/**
 * CPU time (user + system) the tree under `pid` used so far, including exited children that
 * were waited for (the launcher: its time stays in the wrapper's, which became rootlesskit).
 * Unlike wall time it hardly depends on what else the machine runs.
 */
function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const p of tree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 after the comm.
      ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / 100;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface Sample {
  apiMs: number;
  readyMs: number;
  cpuMs: number;
  rss: Map<string, number>;
}

async function once(mode: 'root' | 'rootless', user: TestUser): Promise<Sample> {
  const port = await freePort();
  let argv: string[];
  let kubeconfig: string;
  let dataDir: string;
  if (mode === 'root') {
    dataDir = mkdtempSync(join(tmpdir(), 'k3s-bench-'));
    kubeconfig = join(dataDir, 'k3s.yaml');
    argv = [process.execPath, K3S_BIN, 'server', '-d', dataDir, '--https-listen-port', String(port), '--write-kubeconfig', kubeconfig];
  } else {
    dataDir = join(user.home, '.rancher/k3s');
    kubeconfig = join(user.home, '.kube/k3s.yaml');
    argv = [...user.runAs, ...k3sCommandFor(user, K3S_BIN), 'server', '--rootless', '--https-listen-port', String(port)];
  }
  const t0 = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  try {
    let apiMs = 0;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${mode} server exited with ${child.exitCode}`);
      if (!apiMs && (await get(kubeconfig, '/readyz')) !== undefined) apiMs = performance.now() - t0;
      if (apiMs && (await nodeReady(kubeconfig))) break;
      if (performance.now() - t0 > 90_000) throw new Error(`${mode} server not ready in 90 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const readyMs = performance.now() - t0;
    const cpuMs = treeCpuMs(child.pid!);
    await new Promise((r) => setTimeout(r, 3000));
    const rss = new Map<string, number>();
    for (const p of tree(child.pid!)) {
      if (p.comm === 'runuser') continue; // the benchmark's own way in, not part of the product
      // rootlesskit re-executes itself as its child inside the namespaces (comm "exe"), which
      // runs the server; a node process outside the namespaces is a resident launcher.
      const role =
        p.comm === 'node' ? (mode === 'root' || p.parentComm === 'exe' ? 'k3s (server)' : 'k3s (launcher)') : p.comm === 'exe' && p.parentComm === 'rootlesskit' ? 'rootlesskit (child)' : p.comm;
      rss.set(role, (rss.get(role) ?? 0) + rssKiB(p.pid));
    }
    return { apiMs, readyMs, cpuMs, rss };
  } finally {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

try {
  const user = createTestUser(t, 'k3sbench');
  const results: Record<'root' | 'rootless', Sample[]> = { root: [], rootless: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of ['root', 'rootless'] as const) results[mode].push(await once(mode, user));
  }
  const cpu = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).toString().trim();
  console.log(`\n${runs} runs each, median; ${cpu}, ${execFileSync('nproc').toString().trim()} cores\n`);
  console.log('| | root | rootless | rootless - root |');
  console.log('|---|---|---|---|');
  for (const [label, pick] of [['spawn -> API /readyz on the host (ms)', (s: Sample) => s.apiMs], ['spawn -> node Ready on the host (ms)', (s: Sample) => s.readyMs], ['CPU time used until node Ready (ms)', (s: Sample) => s.cpuMs]] as const) {
    const r = median(results.root.map(pick));
    const rl = median(results.rootless.map(pick));
    console.log(`| ${label} | ${r.toFixed(0)} | ${rl.toFixed(0)} | ${(rl - r).toFixed(0)} |`);
  }
  const roles = new Set([...results.root, ...results.rootless].flatMap((s) => [...s.rss.keys()]));
  const total = (s: Sample): number => [...s.rss.values()].reduce((a, b) => a + b, 0);
  for (const role of [...roles].sort()) {
    const r = median(results.root.map((s) => s.rss.get(role) ?? 0)) / 1024;
    const rl = median(results.rootless.map((s) => s.rss.get(role) ?? 0)) / 1024;
    console.log(`| RSS ${role} (MiB) | ${r ? r.toFixed(1) : '-'} | ${rl ? rl.toFixed(1) : '-'} | |`);
  }
  const rootTotal = median(results.root.map(total)) / 1024;
  const rlTotal = median(results.rootless.map(total)) / 1024;
  console.log(`| RSS total (MiB) | ${rootTotal.toFixed(1)} | ${rlTotal.toFixed(1)} | ${(rlTotal - rootTotal).toFixed(1)} |`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
