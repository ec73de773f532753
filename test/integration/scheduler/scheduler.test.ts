/**
 * The scheduler against a real API server on SQLite (no agent: nodes are objects the test
 * creates and marks Ready through the status subresource, as a kubelet would).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { Scheduler } from '../../../src/scheduler/index.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from '../controllers/harness.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: 'default' };

async function addNode(client: ApiClient, name: string, options: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: unknown[]; ready?: boolean } = {}): Promise<void> {
  const capacity = { cpu: options.cpu ?? '4', memory: options.memory ?? '8Gi', pods: options.pods ?? '110', 'ephemeral-storage': '50Gi' };
  await client.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...options.labels } },
    spec: { ...(options.taints ? { taints: options.taints } : {}) },
  });
  await client.patch(NODES, name, 'merge', {
    status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: new Date().toISOString().slice(0, 19) + 'Z', lastTransitionTime: new Date().toISOString().slice(0, 19) + 'Z' }] },
  }, { subresource: 'status' });
}

function pod(name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}, owner?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, controller: true }] } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox', ...((spec.resources ? { resources: spec.resources } : {}) as object) }], ...Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'resources')) },
  };
}

async function nodeOf(client: ApiClient, name: string): Promise<string> {
  return waitFor(`pod ${name} to be bound`, async () => ((await client.get(PODS, name)).spec as { nodeName?: string }).nodeName, 10_000);
}

function start(t: { after(fn: () => unknown): void }): Promise<ApiClient> {
  return startControllers(t, () => [new Scheduler()]);
}

describe('scheduler', () => {
  test('binds to a node that fits the requests, selector and taints, and records Scheduled', async (t) => {
    const client = await start(t);
    await addNode(client, 'small', { cpu: '1' });
    await addNode(client, 'big', { cpu: '8', labels: { disk: 'ssd' } });
    await addNode(client, 'tainted', { cpu: '16', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await client.create(PODS, pod('needs-cpu', { resources: { requests: { cpu: '2' } } }));
    assert.equal(await nodeOf(client, 'needs-cpu'), 'big');
    await client.create(PODS, pod('wants-ssd', { nodeSelector: { disk: 'ssd' } }));
    assert.equal(await nodeOf(client, 'wants-ssd'), 'big');
    await client.create(PODS, pod('tolerates', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], nodeSelector: { 'kubernetes.io/hostname': 'tainted' } }));
    assert.equal(await nodeOf(client, 'tolerates'), 'tainted');
    const events = await waitFor('a Scheduled event', async () => {
      const list = await client.list(EVENTS, { fieldSelector: 'involvedObject.name=needs-cpu' });
      return list.items.find((e) => e.reason === 'Scheduled');
    });
    assert.equal(events.message, 'Successfully assigned default/needs-cpu to big');
  });

  test('a pod that fits nowhere says why, and is bound once a node that fits appears', async (t) => {
    const client = await start(t);
    await addNode(client, 'small', { cpu: '1' });
    await addNode(client, 'tainted', { cpu: '16', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await addNode(client, 'down', { cpu: '16', ready: false });
    await client.create(PODS, pod('huge', { resources: { requests: { cpu: '4' } } }));
    const condition = await waitFor('PodScheduled=False', async () => {
      const p = await client.get(PODS, 'huge');
      return ((p.status as { conditions?: { type: string; status: string; reason: string; message: string }[] }).conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    const expected = '0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.';
    assert.equal(condition.reason, 'Unschedulable');
    assert.equal(condition.message, expected);
    const event = await waitFor('a FailedScheduling event', async () => (await client.list(EVENTS, { fieldSelector: 'involvedObject.name=huge' })).items.find((e) => e.reason === 'FailedScheduling'));
    assert.equal(event.message, expected);
    assert.equal(event.type, 'Warning');
    await addNode(client, 'new', { cpu: '8' });
    assert.equal(await nodeOf(client, 'huge'), 'new');
  });

  test('required anti-affinity by hostname puts replicas on different nodes; spread balances siblings', async (t) => {
    const client = await start(t);
    await addNode(client, 'a');
    await addNode(client, 'b');
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] } } };
    await client.create(PODS, pod('db-0', anti, { app: 'db' }));
    await client.create(PODS, pod('db-1', anti, { app: 'db' }));
    const placed = [await nodeOf(client, 'db-0'), await nodeOf(client, 'db-1')].sort();
    assert.deepEqual(placed, ['a', 'b']);
    await client.create(PODS, pod('db-2', anti, { app: 'db' }));
    const pending = await waitFor('db-2 unschedulable', async () => {
      const p = await client.get(PODS, 'db-2');
      return ((p.status as { conditions?: { type: string; message: string }[] }).conditions ?? []).find((c) => c.type === 'PodScheduled');
    });
    assert.match(pending.message, /2 node\(s\) didn't match pod anti-affinity rules/);

    for (let i = 0; i < 4; i++) await client.create(PODS, pod(`web-${i}`, {}, { app: 'web' }, 'owner-uid-1'));
    const nodes = await Promise.all([0, 1, 2, 3].map((i) => nodeOf(client, `web-${i}`)));
    assert.equal(nodes.filter((n) => n === 'a').length, 2, `spread: ${nodes.join(',')}`);
  });
});
