import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { DaemonSetController } from '../../../src/controllers/daemonset.js';
import { Scheduler } from '../../../src/scheduler/index.js';
import { waitFor } from '../../helpers/index.js';
import { setPodReady, startControllers } from './harness.js';

const DS = { group: 'apps', version: 'v1', resource: 'daemonsets', namespace: 'default' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespace: 'default' };

async function addNode(client: ApiClient, name: string, labels: Record<string, string>, taints: unknown[] = []): Promise<void> {
  await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: taints.length ? { taints } : {} });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.patch(NODES, name, 'merge', {
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  }, { subresource: 'status' });
}

function daemonSet(name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }], ...podSpec } }, ...spec },
  };
}

async function livePods(client: ApiClient, app: string): Promise<KubeObject[]> {
  return (await client.list(PODS, { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

function nodeOf(p: KubeObject): string | undefined {
  return (p.spec as { nodeName?: string }).nodeName;
}
function imageOf(p: KubeObject): string | undefined {
  return (p.spec as { containers: { image: string }[] }).containers[0]?.image;
}

/** Bound pods on exactly `nodes` (one each), optionally all with `image`. */
async function onNodes(client: ApiClient, app: string, nodes: string[], image?: string): Promise<KubeObject[]> {
  return waitFor(`${app} on ${nodes.join(',')}${image ? ` with ${image}` : ''}`, async () => {
    const pods = await livePods(client, app);
    const got = pods.map(nodeOf).sort();
    if (JSON.stringify(got) !== JSON.stringify([...nodes].sort())) return undefined;
    return !image || pods.every((p) => imageOf(p) === image) ? pods : undefined;
  }, 10_000);
}

/** Plays the kubelets: every bound pod of `app` becomes Running and Ready; deleted pods are finished off. */
function kubelets(t: { after(fn: () => unknown): void }, client: ApiClient, app: string): void {
  let stop = false;
  t.after(() => {
    stop = true;
  });
  void (async () => {
    while (!stop) {
      const all = await client.list(PODS, { labelSelector: `app=${app}` }).then((l) => l.items).catch(() => []);
      for (const p of all.filter((x) => x.metadata?.deletionTimestamp)) await client.delete(PODS, p.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
      for (const p of all.filter((x) => !x.metadata?.deletionTimestamp)) {
        const isReady = ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
        if (nodeOf(p) && !isReady) await setPodReady(client, p, true).catch(() => undefined);
      }
      await sleep(50);
    }
  })();
}

describe('daemonset controller', () => {
  test('runs one pod on each eligible node, follows node changes, and reports status', async (t) => {
    const client = await startControllers(t, () => [new DaemonSetController(), new Scheduler()]);
    await addNode(client, 'a', { disk: 'ssd' });
    await addNode(client, 'b', { disk: 'ssd' });
    await addNode(client, 'c', { disk: 'ssd' }, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    await addNode(client, 'd', { disk: 'hdd' });
    const ds = await client.create(DS, daemonSet('agent', {}, { nodeSelector: { disk: 'ssd' } }));
    const pods = await onNodes(client, 'agent', ['a', 'b']);
    for (const p of pods) {
      assert.deepEqual((p.spec as { affinity: unknown }).affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeOf(p)] }] }] } } });
      assert.ok(((p.spec as { tolerations: { key: string }[] }).tolerations).some((x) => x.key === 'node.kubernetes.io/not-ready'));
      assert.equal(p.metadata?.ownerReferences?.[0]?.uid, ds.metadata?.uid);
      assert.ok(p.metadata?.labels?.['controller-revision-hash']);
    }
    kubelets(t, client, 'agent');
    const status = await waitFor('status', async () => {
      const s = (await client.get(DS, 'agent')).status as Record<string, number>;
      return s.numberReady === 2 && s.numberAvailable === 2 ? s : undefined;
    });
    assert.equal(status.desiredNumberScheduled, 2);
    assert.equal(status.currentNumberScheduled, 2);
    assert.equal(status.updatedNumberScheduled, 2);
    assert.equal(status.numberMisscheduled, 0);

    // A new eligible node gets a pod; a node that stops matching loses its pod.
    await addNode(client, 'e', { disk: 'ssd' });
    await onNodes(client, 'agent', ['a', 'b', 'e']);
    await client.patch(NODES, 'a', 'merge', { metadata: { labels: { disk: 'hdd' } } });
    await onNodes(client, 'agent', ['b', 'e']);
    await client.delete(NODES, 'e');
    await onNodes(client, 'agent', ['b']);
  });

  test('RollingUpdate replaces pods within maxUnavailable and keeps revisions; tolerating a taint adds its node', async (t) => {
    const client = await startControllers(t, () => [new DaemonSetController(), new Scheduler()]);
    for (const n of ['n1', 'n2', 'n3']) await addNode(client, n, {});
    await addNode(client, 'tainted', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    await client.create(DS, daemonSet('proxy'));
    kubelets(t, client, 'proxy');
    await onNodes(client, 'proxy', ['n1', 'n2', 'n3']);
    await waitFor('available', async () => ((await client.get(DS, 'proxy')).status as Record<string, number>).numberAvailable === 3 || undefined);

    const deleted: string[] = [];
    const ac = new AbortController();
    t.after(() => ac.abort());
    let maxUnavailable = 0;
    void client.watch(PODS, { resourceVersion: (await client.list(PODS)).metadata.resourceVersion ?? '' }, (e) => {
      if (e.type === 'DELETED') deleted.push(e.object.metadata?.name ?? '');
    }, ac.signal).catch(() => undefined);
    const probe = setInterval(() => {
      void livePods(client, 'proxy').then((pods) => {
        const up = pods.filter((p) => ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length;
        maxUnavailable = Math.max(maxUnavailable, 3 - up);
      }).catch(() => undefined);
    }, 20);
    t.after(() => clearInterval(probe));
    await client.patch(DS, 'proxy', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }], tolerations: [{ key: 'dedicated', operator: 'Exists' }] } } } });
    await onNodes(client, 'proxy', ['n1', 'n2', 'n3', 'tainted'], 'busybox:2');
    const status = await waitFor('rolled out', async () => {
      const s = (await client.get(DS, 'proxy')).status as Record<string, number>;
      return s.updatedNumberScheduled === 4 && s.numberAvailable === 4 ? s : undefined;
    });
    assert.equal(status.desiredNumberScheduled, 4);
    assert.equal(deleted.length, 3, 'each old pod deleted once');
    assert.ok(maxUnavailable <= 2, `at most one old pod down at a time (plus the new node's pending pod): saw ${maxUnavailable}`);
    const revisions = (await client.list(REVISIONS)).items;
    assert.deepEqual(revisions.map((r) => r.revision).sort(), [1, 2]);
  });

  test('maxSurge starts the new pod beside the old one and removes the old one once the new is available', async (t) => {
    const client = await startControllers(t, () => [new DaemonSetController(), new Scheduler()]);
    for (const n of ['s1', 's2']) await addNode(client, n, {});
    await client.create(DS, daemonSet('surge', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    kubelets(t, client, 'surge');
    await onNodes(client, 'surge', ['s1', 's2']);
    await waitFor('available', async () => ((await client.get(DS, 'surge')).status as Record<string, number>).numberAvailable === 2 || undefined);
    let sawTwoOnANode = false;
    const probe = setInterval(() => {
      void livePods(client, 'surge').then((pods) => {
        if (pods.length === 3) sawTwoOnANode = true;
        assert.ok(pods.length <= 3, 'never more than maxSurge extra pods');
      }).catch(() => undefined);
    }, 20);
    t.after(() => clearInterval(probe));
    await client.patch(DS, 'surge', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    await onNodes(client, 'surge', ['s1', 's2'], 'busybox:2');
    assert.ok(sawTwoOnANode, 'the new pod ran beside the old one');
  });

  test('OnDelete keeps old pods until the user deletes them', async (t) => {
    const client = await startControllers(t, () => [new DaemonSetController(), new Scheduler()]);
    await addNode(client, 'o1', {});
    await client.create(DS, daemonSet('manual', { updateStrategy: { type: 'OnDelete' } }));
    const [before] = await onNodes(client, 'manual', ['o1']);
    await client.patch(DS, 'manual', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    await waitFor('observed', async () => ((await client.get(DS, 'manual')).status as Record<string, number>).observedGeneration === 2 || undefined);
    await sleep(300);
    const [still] = await livePods(client, 'manual');
    assert.equal(still?.metadata?.uid, before?.metadata?.uid);
    await client.delete(PODS, before?.metadata?.name ?? '', { gracePeriodSeconds: 0 });
    await onNodes(client, 'manual', ['o1'], 'busybox:2');
  });

  test('a failed daemon pod is replaced, with a FailedDaemonPod warning', async (t) => {
    const client = await startControllers(t, () => [new DaemonSetController(), new Scheduler()]);
    await addNode(client, 'f1', {});
    await client.create(DS, daemonSet('crashy'));
    const [pod] = await onNodes(client, 'crashy', ['f1']);
    kubelets(t, client, 'crashy');
    await client.patch(PODS, pod?.metadata?.name ?? '', 'merge', { status: { phase: 'Failed' } }, { subresource: 'status' });
    await waitFor('replacement', async () => {
      const pods = await livePods(client, 'crashy');
      return pods.length === 1 && pods[0]?.metadata?.uid !== pod?.metadata?.uid && nodeOf(pods[0]!) === 'f1' ? pods : undefined;
    }, 10_000);
    const events = (await client.list({ group: '', version: 'v1', resource: 'events', namespace: 'default' }, { fieldSelector: 'involvedObject.name=crashy' })).items;
    assert.ok(events.some((e) => e.reason === 'FailedDaemonPod'));
  });
});
