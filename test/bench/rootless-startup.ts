/**
 * Benchmark: what --rootless costs at startup and at idle. For `k3s server` as root and
 * `k3s server --rootless` as a fresh user, each on a new data dir: time from spawn until the host
 * sees the API answer /readyz through the written kubeconfig, and until the node is Ready there;
 * then, after a short idle, the RSS of every process of the server (launcher, rootlesskit,
 * slirp4netns, the server inside, containerd). Each run also records a timeline of the path
 * (launcher, rootlesskit, the server's own Node start, its log lines) so a surplus can be
 * attributed step by step; the table prints the median time of every step.
 * Rootless runs twice per round: a user's usual start, with the same command line as before
 * (the wrapper repeats the launcher's last plan from the launch cache, src/rootless/launch-cache.ts),
 * and a first start, with the user's launch cache removed (the launcher checks and plans).
 * Run as root: node dist/test/bench/rootless-startup.js [runs]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BUILD_ROOT, freePort, K3S_BIN } from '../helpers/index.js';
import { createTestUser, k3sCommandFor, type TestUser } from '../helpers/users.js';
import { afterHooks } from './lib/after-hooks.js';

const runs = Number(process.argv[2] ?? 5);
const hooks = afterHooks();
const t = hooks.t;

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
  /** Step name -> ms after spawn (see STEPS). */
  steps: Map<string, number>;
}

/** The path from spawn to node Ready, in order; rootless-only steps are absent for root. */
const STEPS = [
  'launcher Node process started',
  'launcher log: handing over to rootlesskit',
  'rootlesskit running (its first child started)',
  'server Node process started',
  'server log: starting k3s server',
  'server log: k3s is up (API listening)',
  'host: kubeconfig exists',
  'host: API /readyz answers',
  'server log: node is Ready',
  'host: node Ready',
] as const;

/** Log lines whose time marks a step. */
const LOG_STEPS: Readonly<Record<string, string>> = {
  'handing over to rootlesskit; the server runs inside its namespaces': 'launcher log: handing over to rootlesskit',
  'starting k3s server': 'server log: starting k3s server',
  'k3s is up': 'server log: k3s is up (API listening)',
  'node is Ready': 'server log: node is Ready',
};

/**
 * Start times of the processes in the tree under `root`, by role (the earliest of each), from /proc/PID/stat's start
 * time (10 ms ticks since boot; calibrated against this process's own start so both clocks
 * agree). Sampled every few ms until the server's Node process appears, then stopped, so the
 * sampling costs little CPU while the server starts.
 */
class ProcessTimeline {
  readonly seen = new Map<string, number>();
  readonly #bootMs: number;
  #stopped = false;

  constructor(
    private readonly root: number,
    private readonly mode: Mode,
  ) {
    this.#bootMs = performance.timeOrigin - startTicks('self') * 10;
    void this.#loop();
  }

  stop(): void {
    this.#stopped = true;
  }

  async #loop(): Promise<void> {
    // Parents are read once per new PID; only the few processes of the tree are re-read (their
    // command name changes as they exec), so sampling stays cheap beside the starting server.
    const parentOf = new Map<number, number>();
    const deadline = Date.now() + 30_000;
    while (!this.#stopped && Date.now() < deadline && !this.seen.has('server Node process started')) {
      for (const entry of readdirSync('/proc')) {
        const pid = Number(entry);
        if (!Number.isInteger(pid) || parentOf.has(pid)) continue;
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
        } catch {
          parentOf.set(pid, 0);
        }
      }
      const inTree = (pid: number): boolean => {
        for (let p = pid, hops = 0; p > 1 && hops < 20; p = parentOf.get(p) ?? 0, hops++) if (p === this.root) return true;
        return false;
      };
      for (const [pid, ppid] of parentOf) {
        if (!inTree(pid)) continue;
        try {
          const role = this.#role({ pid, comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), parentComm: readFileSync(`/proc/${ppid}/comm`, 'utf8').trim() });
          if (!role) continue;
          const started = this.#bootMs + startTicks(String(pid)) * 10;
          this.seen.set(role, Math.min(started, this.seen.get(role) ?? Infinity));
        } catch {
          // gone
        }
      }
      await new Promise((r) => setTimeout(r, 3));
    }
  }

  #role(p: { pid: number; comm: string; parentComm: string }): string | undefined {
    // The wrapper (sh) execs node in place: same PID, so its start time is the spawn's.
    if (this.mode === 'root') return p.comm === 'node' && p.pid === this.root ? 'server Node process started' : undefined;
    // rootlesskit re-executes itself as its child inside the namespaces (comm "exe"), which runs the server.
    if (p.comm === 'node') return p.parentComm === 'exe' ? 'server Node process started' : 'launcher Node process started';
    // A start time is the fork's, not the exec's: the wrapper that becomes rootlesskit forked at
    // spawn, so rootlesskit's first child (slirp4netns --help, its re-executed child) marks it.
    if (p.parentComm === 'rootlesskit') return 'rootlesskit running (its first child started)';
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
function startTicks(pid: string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/** Epoch ms of the first pino line with each step's message. */
function logSteps(output: string, into: Map<string, number>, t0Epoch: number): void {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; time?: number };
      const step = entry.msg === undefined ? undefined : LOG_STEPS[entry.msg];
      if (step && entry.time && !into.has(step)) into.set(step, entry.time - t0Epoch);
    } catch {
      // not a log line
    }
  }
}

type Mode = 'root' | 'rootless' | 'rootless-first';
const MODES: readonly Mode[] = ['root', 'rootless', 'rootless-first'];
const LABELS: Readonly<Record<Mode, string>> = { root: 'root', rootless: 'rootless (usual start)', 'rootless-first': 'rootless (first start)' };

async function once(mode: Mode, user: TestUser, rootlessPort: number): Promise<Sample> {
  const port = mode === 'root' ? await freePort() : rootlessPort;
  let argv: string[];
  let kubeconfig: string;
  let dataDir: string;
  if (mode === 'root') {
    dataDir = mkdtempSync(join(tmpdir(), 'k3s-bench-'));
    kubeconfig = join(dataDir, 'k3s.yaml');
    // The k3s wrapper script, as users (and the rootless run below) start it.
    argv = [join(BUILD_ROOT, 'bin/k3s'), 'server', '-d', dataDir, '--https-listen-port', String(port), '--write-kubeconfig', kubeconfig];
  } else {
    dataDir = join(user.home, '.rancher/k3s');
    kubeconfig = join(user.home, '.kube/k3s.yaml');
    // The previous run's kubeconfig would count as written before this server wrote its own.
    rmSync(kubeconfig, { force: true });
    // The same command line every time (the launch cache is keyed by it); a first start has none.
    if (mode === 'rootless-first') rmSync(join(user.home, '.cache/k3s'), { recursive: true, force: true });
    argv = [...user.runAs, ...k3sCommandFor(user, K3S_BIN), 'server', '--rootless', '--https-listen-port', String(port)];
  }
  const t0 = performance.now();
  const t0Epoch = performance.timeOrigin + t0;
  // The server logs JSON (stderr is no TTY) at info level: its lines mark steps of the timeline.
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, K3S_LOG_LEVEL: 'info' } });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const processes = new ProcessTimeline(child.pid!, mode);
  const steps = new Map<string, number>();
  try {
    let apiMs = 0;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${mode} server exited with ${child.exitCode}:\n${output.slice(-2000)}`);
      if (!steps.has('host: kubeconfig exists') && existsSync(kubeconfig)) steps.set('host: kubeconfig exists', performance.now() - t0);
      if (!apiMs && (await get(kubeconfig, '/readyz')) !== undefined) apiMs = performance.now() - t0;
      if (apiMs && (await nodeReady(kubeconfig))) break;
      if (performance.now() - t0 > 90_000) throw new Error(`${mode} server not ready in 90 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const readyMs = performance.now() - t0;
    const cpuMs = treeCpuMs(child.pid!);
    processes.stop();
    for (const [step, at] of processes.seen) steps.set(step, Math.max(0, at - t0Epoch));
    steps.set('host: API /readyz answers', apiMs);
    steps.set('host: node Ready', readyMs);
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
    logSteps(output, steps, t0Epoch);
    return { apiMs, readyMs, cpuMs, rss, steps };
  } finally {
    processes.stop();
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
  const results: Record<Mode, Sample[]> = { root: [], rootless: [], 'rootless-first': [] };
  const rootlessPort = await freePort();
  // Not measured: gives the first measured usual start a launch cache entry to start from.
  await once('rootless', user, rootlessPort);
  for (let i = 0; i < runs; i++) {
    for (const mode of MODES) results[mode].push(await once(mode, user, rootlessPort));
  }
  const cpu = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).toString().trim();
  const median0 = (xs: number[]): number => (xs.length ? median(xs) : 0);
  const header = (first: string): void => {
    console.log(`| ${first} | ${MODES.map((m) => LABELS[m]).join(' | ')} | ${MODES.slice(1).map((m) => `${LABELS[m]} - root`).join(' | ')} |`);
    console.log(`|---|${MODES.map(() => '---:').join('|')}|${MODES.slice(1).map(() => '---:').join('|')}|`);
  };
  const row = (label: string, values: readonly (number | undefined)[], digits = 0, withDiffs = true): void => {
    const cell = (x: number | undefined): string => (x === undefined || x === 0 ? '-' : x.toFixed(digits));
    const diffs = values.slice(1).map((x) => (withDiffs && x !== undefined && values[0] !== undefined ? (x - values[0]).toFixed(digits) : ''));
    console.log(`| ${label} | ${values.map(cell).join(' | ')} | ${diffs.join(' | ')} |`);
  };
  console.log(`\n${runs} runs each, median; ${cpu}, ${execFileSync('nproc').toString().trim()} cores\n`);
  header('');
  for (const [label, pick] of [['spawn -> API /readyz on the host (ms)', (s: Sample) => s.apiMs], ['spawn -> node Ready on the host (ms)', (s: Sample) => s.readyMs], ['CPU time used until node Ready (ms)', (s: Sample) => s.cpuMs]] as const) {
    row(label, MODES.map((m) => median(results[m].map(pick))));
  }
  const roles = new Set(MODES.flatMap((m) => results[m].flatMap((s) => [...s.rss.keys()])));
  const total = (s: Sample): number => [...s.rss.values()].reduce((a, b) => a + b, 0);
  for (const role of [...roles].sort()) row(`RSS ${role} (MiB)`, MODES.map((m) => median0(results[m].map((s) => s.rss.get(role) ?? 0)) / 1024), 1, false);
  row('RSS total (MiB)', MODES.map((m) => median(results[m].map(total)) / 1024), 1);
  console.log('\nTimeline, ms after spawn (median of each step; process start times have 10 ms resolution)\n');
  header('step');
  for (const step of STEPS) {
    row(step, MODES.map((m) => {
      const xs = results[m].map((s) => s.steps.get(step)).filter((x): x is number => x !== undefined);
      return xs.length ? median(xs) : undefined;
    }));
  }
} finally {
  await hooks.run();
}
