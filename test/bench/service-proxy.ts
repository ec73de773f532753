/**
 * Benchmark: what the service proxy costs per request. One busybox httpd pod behind a Service;
 * the same load (fresh connection per request) straight to the pod IP, through the cluster IP,
 * and through the node port (root) or the host's LoadBalancer port (rootless: rootlesskit's
 * builtin port driver, then the proxy's DNAT), all in one run so the ratios share the machine's
 * state. Root: a node in its own network namespace; rootless: a fresh user's `k3s server --rootless`,
 * with the in-namespace targets loaded from inside rootlesskit's namespace (nsenter).
 * Run as root: node dist/test/bench/service-proxy.js [durationMs per round] [concurrency] [rounds]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, K3S_BIN, run, spawnTracked, waitFor, type RunResult } from '../helpers/index.js';
import { CriClient, containerdPaths } from '../../src/agent/index.js';
import { createTestUser, k3sCommandFor } from '../helpers/users.js';
import { BUSYBOX, startNodeCluster } from '../e2e/node-cluster.js';
import { afterHooks } from './lib/after-hooks.js';

const durationMs = Number(process.argv[2] ?? 5000);
const concurrency = Number(process.argv[3] ?? 4);
/** Targets are measured in interleaved rounds and the median round reported, so drifting machine load hits all alike. */
const rounds = Number(process.argv[4] ?? 3);
const LOAD = join(dirname(fileURLToPath(import.meta.url)), 'lib/http-load.js');
const hooks = afterHooks();
const t = hooks.t;

interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

const manifests = (port: number, type: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: BUSYBOX, command: ['sh', '-c', 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www'] }] } },
        },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type, selector: { app: 'web' }, ports: [{ port, targetPort: 8080 }] } },
    ],
  });

async function load(prefix: readonly string[], url: string): Promise<Load> {
  const argv = [...prefix, process.execPath, LOAD, url, String(durationMs), String(concurrency)];
  const r = await run(argv[0]!, argv.slice(1), { timeoutMs: durationMs + 60_000 });
  if (r.code !== 0) throw new Error(`load on ${url} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Load;
}

/** Each target `rounds` times, interleaved; per target the round with the median req/s. */
async function measure(targets: readonly { prefix: readonly string[]; url: string }[]): Promise<Load[]> {
  const results: Load[][] = targets.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, target] of targets.entries()) results[i]!.push(await load(target.prefix, target.url));
  }
  return results.map((rs) => rs.sort((a, b) => a.rps - b.rps)[Math.floor(rs.length / 2)]!);
}

function row(name: string, l: Load, base: Load): string {
  return `| ${name} | ${l.rps} | ${(l.rps / base.rps).toFixed(2)} | ${l.p50} | ${l.p99} | ${(l.p99 / base.p99).toFixed(2)} | ${l.errors} |`;
}

async function kubectlJson(kubectl: (args: string[]) => Promise<RunResult>, args: string[], path: string): Promise<string> {
  return (await kubectl([...args, '-o', `jsonpath=${path}`])).stdout.trim();
}

async function rootBench(): Promise<string[]> {
  const cluster = await startNodeCluster(t, [], { label: 'pxbench' });
  const kubectl = (args: string[], input?: string) => cluster.kubectl(args, input !== undefined ? { input } : {});
  const applied = await kubectl(['apply', '-f', '-'], manifests(80, 'NodePort'));
  if (applied.code !== 0) throw new Error(applied.stderr);
  await waitFor('endpoint', async () => /:8080/.test((await kubectl(['get', 'endpoints', 'web', '--no-headers'])).stdout), 120_000, 500);
  const podIP = await kubectlJson(kubectl, ['get', 'pods', '-l', 'app=web'], '{.items[0].status.podIP}');
  const clusterIP = await kubectlJson(kubectl, ['get', 'svc', 'web'], '{.spec.clusterIP}');
  const nodePort = await kubectlJson(kubectl, ['get', 'svc', 'web'], '{.spec.ports[0].nodePort}');
  const inNs = cluster.netns.prefix;
  await load(inNs, `http://${podIP}:8080/`); // warm-up
  const routed = (await run('ip', ['route', 'add', `${podIP}/32`, 'via', cluster.netns.nodeIP])).code === 0;
  const [direct, viaClusterIP, viaNodePort, directFromHost] = await measure([
    { prefix: inNs, url: `http://${podIP}:8080/` },
    { prefix: inNs, url: `http://${clusterIP}/` },
    { prefix: [], url: `http://${cluster.netns.nodeIP}:${nodePort}/` },
    ...(routed ? [{ prefix: [], url: `http://${podIP}:8080/` }] : []),
  ]);
  if (routed) await run('ip', ['route', 'del', `${podIP}/32`]);
  // Workloads go before the node, so no sandbox (and no mount) is left when its runtime stops.
  await kubectl(['delete', 'deployments,pods', '--all', '--grace-period=0', '--force']);
  const cri = new CriClient(containerdPaths(cluster.dataDir, { rootless: false }).socket);
  try {
    await waitFor('no sandboxes', async () => (await cri.listPodSandbox()).length === 0, 60_000, 500);
  } finally {
    cri.close();
  }
  return [
    '| root (node in a network namespace) | req/s | vs direct | p50 ms | p99 ms | p99 vs direct | errors |',
    '|---|---|---|---|---|---|---|',
    row('pod IP, from the node', direct!, direct!),
    row('cluster IP, from the node', viaClusterIP!, direct!),
    ...(directFromHost ? [row('pod IP, from the host (routed via the node)', directFromHost, direct!)] : []),
    row('node port, from the host', viaNodePort!, directFromHost ?? direct!),
  ];
}

async function rootlessBench(): Promise<string[]> {
  const user = createTestUser(t, 'k3spxb');
  const port = await freePort();
  const lbPort = await freePort();
  const server = spawnTracked(t, 'runuser', ['-u', user.name, '--', 'env', `HOME=${user.home}`, 'K3S_LOG_FORMAT=json', ...k3sCommandFor(user, K3S_BIN), 'server', '--rootless', '--https-listen-port', String(port)]);
  const kubeconfig = join(user.home, '.kube/k3s.yaml');
  const cacheDir = join(user.home, '.kube/bench-cache');
  const kubectl = (args: string[], input?: string): Promise<RunResult> =>
    run('kubectl', args, { ...(input !== undefined ? { input } : {}), env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, HOME: cacheDir } });
  await waitFor('k3s is up', () => server.output().includes('"k3s is up"'), 90_000, 200);
  await waitFor('node Ready', async () => /\sReady\s/.test((await kubectl(['get', 'nodes', '--no-headers'])).stdout), 90_000, 200);
  const applied = await kubectl(['apply', '-f', '-'], manifests(lbPort, 'LoadBalancer'));
  if (applied.code !== 0) throw new Error(applied.stderr);
  await waitFor('endpoint', async () => /:8080/.test((await kubectl(['get', 'endpoints', 'web', '--no-headers'])).stdout), 120_000, 500);
  const ingress = await kubectlJson(kubectl, ['get', 'svc', 'web'], '{.status.loadBalancer.ingress[*].ip}');
  if (!ingress.includes('127.0.0.1')) await kubectl(['patch', 'svc', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}']);
  await waitFor('LB port answers', async () => (await run('curl', ['-s', '-m', '3', `http://127.0.0.1:${lbPort}/`])).stdout.includes('hello'), 60_000, 500);
  const podIP = await kubectlJson(kubectl, ['get', 'pods', '-l', 'app=web'], '{.items[0].status.podIP}');
  const clusterIP = await kubectlJson(kubectl, ['get', 'svc', 'web'], '{.spec.clusterIP}');
  const childPid = readFileSync(join(user.home, '.rancher/k3s/rootless/child_pid'), 'utf8').trim();
  const inNs = ['nsenter', '-t', childPid, '-n'];
  await load(inNs, `http://${podIP}:8080/`); // warm-up
  const [direct, viaClusterIP, viaLb] = await measure([
    { prefix: inNs, url: `http://${podIP}:8080/` },
    { prefix: inNs, url: `http://${clusterIP}:${lbPort}/` },
    { prefix: [], url: `http://127.0.0.1:${lbPort}/` },
  ]);
  return [
    '| rootless | req/s | vs direct | p50 ms | p99 ms | p99 vs direct | errors |',
    '|---|---|---|---|---|---|---|',
    row("pod IP, inside rootlesskit's namespace", direct!, direct!),
    row("cluster IP, inside rootlesskit's namespace", viaClusterIP!, direct!),
    row('LoadBalancer port, from the host (rootlesskit builtin driver)', viaLb!, direct!),
  ];
}

try {
  const before = loadavg().map((l) => l.toFixed(2)).join(' ');
  const root = await rootBench();
  const rootless = await rootlessBench();
  const after = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`${rounds} interleaved rounds of ${durationMs} ms per target (median round shown), ${concurrency} concurrent clients, a new connection per request; load average ${before} before, ${after} after\n`);
  console.log([...root, '', ...rootless].join('\n'));
} finally {
  await hooks.run();
}
