/**
 * Benchmark: scheduler throughput and controller reaction time, in process against a real API
 * server on SQLite (no agent; nodes are objects).
 *  1. 1000 pending pods with mixed constraints (requests, nodeSelector, tolerations, spread)
 *     over 10 nodes (some labelled, some tainted): pods bound per second, from starting the
 *     scheduler until the last binding is visible.
 *  2. A Deployment of 100 replicas: time from creating it until 100 pods are bound.
 * Run: node dist/test/bench/controllers.js
 */
import type { KubeObject } from '../../src/api/types.js';
import type { ApiClient } from '../../src/client/types.js';
import { DeploymentController } from '../../src/controllers/deployment.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { ReplicaSetController } from '../../src/controllers/replicaset.js';
import { Scheduler } from '../../src/scheduler/index.js';
import { startHarness } from '../integration/apiserver/harness.js';
import { afterHooks } from './lib/after-hooks.js';

const hooks = afterHooks();
const t = hooks.t;
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };

async function addNodes(client: ApiClient, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const name = `node-${i}`;
    await client.create(NODES, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, zone: i % 2 ? 'a' : 'b', ...(i < 3 ? { disk: 'ssd' } : {}) } },
      spec: i >= 8 ? { taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] } : {},
    });
    const capacity = { cpu: '64', memory: '256Gi', pods: '250', 'ephemeral-storage': '500Gi' };
    await client.patch(NODES, name, 'merge', { status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString().slice(0, 19) + 'Z' }] } }, { subresource: 'status' });
  }
}

function mixedPod(i: number): KubeObject {
  const spec: Record<string, unknown> = { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: `${50 + (i % 5) * 10}m`, memory: '64Mi' } } }] };
  if (i % 3 === 0) spec.nodeSelector = { disk: 'ssd' };
  if (i % 3 === 1) spec.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }];
  if (i % 3 === 2) spec.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }] } };
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}`, labels: { app: `g${i % 10}` } }, spec };
}

async function boundCount(client: ApiClient): Promise<number> {
  return (await client.list(PODS)).items.filter((p) => (p.spec as { nodeName?: string }).nodeName).length;
}

async function until(client: ApiClient, n: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await boundCount(client)) < n) {
    if (Date.now() > deadline) throw new Error(`only ${await boundCount(client)} of ${n} pods bound`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

try {
  // 1. Scheduler throughput.
  {
    const harness = await startHarness(t);
    const client = harness.server.loopback();
    await addNodes(client, 10);
    for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => client.create(PODS, mixedPod(i + j))));
    const manager = new ControllerManager(client, () => [new Scheduler()], { leaseName: 'kube-scheduler', retryPeriodMs: 50 });
    const ac = new AbortController();
    const t0 = performance.now();
    await manager.start(ac.signal);
    await until(client, 1000);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`| scheduler: 1000 pending pods, 10 nodes, mixed constraints | ${(1000 / seconds).toFixed(0)} pods/s (${(seconds * 1000).toFixed(0)} ms) | >= 100 pods/s |`);
    ac.abort();
    await manager.stopped();
  }
  // 2. Deployment of 100 replicas to 100 bound pods.
  {
    const harness = await startHarness(t);
    const client = harness.server.loopback();
    await addNodes(client, 10);
    const manager = new ControllerManager(client, () => [new DeploymentController(), new ReplicaSetController(), new Scheduler()], { retryPeriodMs: 50 });
    const ac = new AbortController();
    await manager.start(ac.signal);
    await new Promise((r) => setTimeout(r, 300)); // leader elected, informers synced
    const t0 = performance.now();
    await client.create({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default' }, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 100, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await until(client, 100);
    console.log(`| Deployment of 100 replicas -> 100 pods bound | ${(performance.now() - t0).toFixed(0)} ms | < 2000 ms |`);
    ac.abort();
    await manager.stopped();
  }
} finally {
  await hooks.run();
}
