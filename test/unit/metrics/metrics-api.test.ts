import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeStatsCollector, nodeCpuNs, nodeWorkingSet, type NodeUsageSnapshot } from '../../../src/agent/stats/collector.js';
import type { ApiError } from '../../../src/client/types.js';
import { metricsApi } from '../../../src/metrics/index.js';

function fakeCollector(snapshot: () => Promise<NodeUsageSnapshot>): NodeStatsCollector {
  return { nodeName: 'n1', snapshot, close: () => undefined } as unknown as NodeStatsCollector;
}

const snap: NodeUsageSnapshot = {
  node: 'n1',
  timestamp: new Date('2026-01-01T00:00:10Z'),
  windowSeconds: 10,
  cpuNanoCores: 250_000_000,
  memoryBytes: 512 * 1024 * 1024,
  pods: new Map([
    ['default/busy', [{ name: 'main', cpuNanoCores: 900_000_000, memoryBytes: 2 * 1024 * 1024 }]],
    ['default/gone', [{ name: 'main', cpuNanoCores: 1, memoryBytes: 1 }]],
    ['kube-system/dns', [{ name: 'dns', cpuNanoCores: 1_000_000, memoryBytes: 1024 * 1024 }]],
  ]),
};

test('NodeMetrics and PodMetrics carry usage as quantities, labels from the API, and skip pods the API no longer has', async () => {
  const api = metricsApi({
    collectors: () => [fakeCollector(async () => snap)],
    labelsOf: async (kind, _ns, name) => (kind === 'node' ? { 'kubernetes.io/hostname': name } : name === 'gone' ? undefined : { app: name }),
  });
  const [node] = await api['metrics.k8s.io/nodes']!.list('');
  assert.equal(node?.kind, 'NodeMetrics');
  assert.deepEqual((node as { usage: unknown }).usage, { cpu: '250000000n', memory: '524288Ki' });
  assert.equal((node as { window: string }).window, '10s');
  assert.deepEqual(node?.metadata?.labels, { 'kubernetes.io/hostname': 'n1' });
  const pods = await api['metrics.k8s.io/pods']!.list('default');
  assert.deepEqual(pods.map((p) => p.metadata?.name), ['busy']);
  assert.deepEqual((pods[0] as { containers: unknown }).containers, [{ name: 'main', usage: { cpu: '900000000n', memory: '2048Ki' } }]);
  assert.equal((await api['metrics.k8s.io/pods']!.list('')).length, 2);
});

test('without a measurable node the metrics API answers 503 with the reason kubectl prints', async () => {
  const rootless = new NodeStatsCollector('n1', { criSocket: () => '/nonexistent.sock', rootless: true });
  const api = metricsApi({ collectors: () => [rootless], labelsOf: async () => ({}) });
  await assert.rejects(api['metrics.k8s.io/nodes']!.list(''), (err: ApiError) => err.code === 503 && /metrics not available for node n1: cgroup v2 delegation missing in rootless mode/.test(err.message));
  const none = metricsApi({ collectors: () => [], labelsOf: async () => ({}) });
  await assert.rejects(none['metrics.k8s.io/pods']!.list(''), (err: ApiError) => err.code === 503 && /the cluster has no node to measure/.test(err.message));
});

test('node CPU is busy time (all but idle and iowait) and the working set is MemTotal - MemAvailable', () => {
  assert.equal(nodeCpuNs('cpu  100 0 50 1000 30 0 0 0 0 0\ncpu0 1 2 3\n'), 1.5e9);
  assert.equal(nodeWorkingSet('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\n'), 600 * 1024);
});
