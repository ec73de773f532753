/**
 * `kubectl top node` and `kubectl top pod` against a root node (real containerd, cgroups): a
 * busy pod shows CPU well above an idle one, and the node shows usage. metrics.k8s.io is
 * served in-process by the API server from the node's stats.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/index.js';
import { canRunNodeCluster, startNodeCluster } from './node-cluster.js';
import { podOnNode } from './pod-manifest.js';

/** kubectl top's CPU column in millicores ("123m" or "1"). */
function millicores(text: string): number {
  return text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000;
}

test('kubectl top node and kubectl top pod show usage from the node, a busy pod above an idle one', { skip: !canRunNodeCluster && 'needs root for containerd', timeout: 300_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'top' });
  for (const [name, command] of [['busy', 'while :; do :; done'], ['idle', 'sleep 3600']] as const) {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: podOnNode(name, cluster.node, command, { grace: 0, labels: { app: name } }) });
    assert.equal(r.code, 0, r.stderr);
  }
  await waitFor('both pods Running', async () => ((await cluster.kubectl(['get', 'pods', '--no-headers'])).stdout.match(/1\/1\s+Running/g) ?? []).length === 2, 90_000, 250);

  const nodeTop = await waitFor('kubectl top node', async () => {
    const r = await cluster.kubectl(['top', 'node', '--no-headers']);
    return r.code === 0 && r.stdout.includes(cluster.node) ? r.stdout : undefined;
  }, 60_000, 1000);
  const [, cpu, cpuPercent, memory] = nodeTop.trim().split(/\s+/);
  assert.ok(millicores(cpu!) > 0, nodeTop);
  assert.match(cpuPercent!, /^\d+%$/);
  assert.match(memory!, /^\d+Mi$/);

  // The busy loop has had time to show in a window of its own.
  const usage = await waitFor('kubectl top pod with the busy pod measured', async () => {
    const r = await cluster.kubectl(['top', 'pod', '--no-headers']);
    const rows = new Map(r.stdout.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/) as [string, string, string]).map(([n, c, m]) => [n, { cpu: millicores(c), memory: m }]));
    const busy = rows.get('busy');
    return busy && busy.cpu >= 100 && rows.has('idle') ? rows : undefined;
  }, 60_000, 2000);
  assert.ok(usage.get('busy')!.cpu > usage.get('idle')!.cpu * 5, JSON.stringify([...usage]));
  assert.match(usage.get('idle')!.memory, /^\d+Mi$/);

  const selected = await cluster.kubectl(['top', 'pod', '-l', 'app=idle', '--no-headers']);
  assert.equal(selected.code, 0, selected.stderr);
  assert.deepEqual(selected.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]), ['idle']);
  const raw = await cluster.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy']);
  assert.equal(JSON.parse(raw.stdout).kind, 'PodMetrics', raw.stderr);
});
