import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { isNotFound, type ApiClient } from '../../../src/client/types.js';
import { NodeLifecycleController } from '../../../src/controllers/node-lifecycle.js';
import { PodGarbageCollector } from '../../../src/controllers/pod-gc.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from './harness.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };

const micro = (): string => new Date().toISOString().replace('Z', '000Z');

async function readyNode(client: ApiClient, name: string): Promise<void> {
  await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  await heartbeat(client, name);
}

async function heartbeat(client: ApiClient, name: string): Promise<void> {
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  await client.patch(NODES, name, 'merge', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }] } }, { subresource: 'status' });
  try {
    const lease = await client.get(LEASES, name);
    await client.update(LEASES, { ...lease, spec: { ...(lease.spec as object), renewTime: micro() } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro() } });
  }
}

function pod(name: string, node: string, tolerationSeconds?: number | 'forever'): KubeObject {
  const tolerations = tolerationSeconds === undefined ? [] : [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(tolerationSeconds === 'forever' ? {} : { tolerationSeconds }) }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, tolerations, containers: [{ name: 'c', image: 'busybox' }] } };
}

async function deleting(client: ApiClient, name: string): Promise<boolean> {
  try {
    return (await client.get(PODS, name)).metadata?.deletionTimestamp !== undefined;
  } catch (err) {
    return isNotFound(err);
  }
}

describe('node lifecycle and pod GC', () => {
  test('a silent node goes Unknown with unreachable taints; pods are evicted as their tolerations allow; it recovers', { timeout: 30_000 }, async (t) => {
    const client = await startControllers(t, () => [new NodeLifecycleController({ gracePeriodMs: 800, monitorPeriodMs: 100 })]);
    await readyNode(client, 'n1');
    await client.create(PODS, pod('intolerant', 'n1', 0));
    await client.create(PODS, pod('patient', 'n1', 2));
    await client.create(PODS, pod('forever', 'n1', 'forever'));
    const unknown = await waitFor('node Unknown', async () => {
      const n = await client.get(NODES, 'n1');
      const ready = ((n.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions).find((c) => c.type === 'Ready');
      return ready?.status === 'Unknown' ? { n, ready } : undefined;
    }, 10_000);
    assert.equal(unknown.ready.reason, 'NodeStatusUnknown');
    assert.equal(unknown.ready.message, 'Kubelet stopped posting node status.');
    const taints = await waitFor('unreachable taints', async () => {
      const ts = ((await client.get(NODES, 'n1')).spec as { taints?: { key: string; effect: string }[] }).taints ?? [];
      return ts.length === 2 ? ts : undefined;
    });
    assert.deepEqual(taints.map((x) => `${x.key}:${x.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    await waitFor('intolerant pod evicted', () => deleting(client, 'intolerant'), 5_000);
    assert.equal(await deleting(client, 'patient'), false, 'still within its 2 s toleration');
    await waitFor('patient pod evicted after its toleration', () => deleting(client, 'patient'), 8_000);
    assert.equal(await deleting(client, 'forever'), false, 'a toleration without seconds keeps the pod');

    await heartbeat(client, 'n1');
    await waitFor('taints removed after recovery', async () => (((await client.get(NODES, 'n1')).spec as { taints?: unknown[] }).taints ?? []).length === 0, 5_000);
  });

  test('pods bound to a node that no longer exists are force-deleted', async (t) => {
    const client = await startControllers(t, () => [new PodGarbageCollector({ periodMs: 100 })]);
    await client.create(PODS, pod('orphan', 'gone-node'));
    await waitFor('orphan deleted', async () => {
      try {
        await client.get(PODS, 'orphan');
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, 5_000);
  });
});
