/**
 * The policy flows a kubectl user sees on a real `k3s server --disable-agent`: PodDisruptionBudget
 * status in `kubectl get pdb`, `kubectl drain` evicting through the budget (retrying on 429 until
 * replacements are ready elsewhere), `kubectl create quota` / `get quota` / `describe quota` with
 * refusals from quota admission, and LimitRange defaults filling what the quota requires. The
 * test plays the kubelets of two nodes over HTTPS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { httpsClientFromKubeconfig } from '../../src/client/https-client.js';
import { waitFor } from '../helpers/index.js';
import { startCluster, type Cluster } from './kubectl-cluster.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } };

/** Stand-in kubelets: heartbeats, bound pods Running/Ready after half a second, deleted pods gone. */
async function kubelets(t: { after(fn: () => unknown): void }, cluster: Cluster, names: string[]): Promise<void> {
  const client = httpsClientFromKubeconfig(cluster.kubeconfig);
  t.after(() => client.close());
  const stamp = (): string => new Date().toISOString().slice(0, 19) + 'Z';
  const capacity = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '50Gi' };
  const heartbeat = (name: string): Promise<unknown> =>
    client.patch(NODES, name, 'merge', { status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: stamp(), lastTransitionTime: stamp() }] } }, { subresource: 'status' });
  for (const name of names) {
    await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
    await heartbeat(name);
  }
  const bound = new Map<string, number>();
  let busy = false;
  let beat = Date.now();
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      if (Date.now() - beat > 5000) {
        beat = Date.now();
        for (const name of names) await heartbeat(name);
      }
      for (const pod of (await client.list<Pod>(PODS)).items) {
        const ref = { ...PODS, namespace: pod.metadata?.namespace ?? 'default' };
        if (!names.includes(pod.spec?.nodeName ?? '')) continue;
        if (pod.metadata?.deletionTimestamp) {
          await client.delete(ref, pod.metadata.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
          continue;
        }
        if (pod.status?.phase === 'Running') continue;
        const uid = pod.metadata?.uid ?? '';
        const since = bound.get(uid) ?? (bound.set(uid, Date.now()), Date.now());
        if (Date.now() - since < 500) continue;
        const ts = stamp();
        await client
          .patch(ref, pod.metadata?.name ?? '', 'merge', { status: { phase: 'Running', podIP: '10.42.0.9', hostIP: '127.0.0.1', startTime: ts, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts }, { type: 'ContainersReady', status: 'True', lastTransitionTime: ts }, { type: 'PodScheduled', status: 'True', lastTransitionTime: ts }] } }, { subresource: 'status' })
          .catch(() => undefined);
      }
    } catch {
      // next tick
    } finally {
      busy = false;
    }
  }, 150);
  t.after(() => clearInterval(timer));
}

test('kubectl get pdb, and kubectl drain evicts through the budget', { timeout: 240_000 }, async (t) => {
  const cluster = await startCluster(t);
  await kubelets(t, cluster, ['node1', 'node2']);
  const k = cluster.kubectl;
  const ok = async (args: string[], timeoutMs = 120_000): Promise<string> => {
    const r = await k(args, { timeoutMs });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout + r.stderr;
  };

  await ok(['create', 'deployment', 'web', '--image=busybox', '--replicas=4']);
  await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
  await ok(['create', 'pdb', 'web', '--selector=app=web', '--min-available=3']);
  await waitFor('pdb status', async () => /^web\s+3\s+N\/A\s+1\s+\d+s$/m.test(await ok(['get', 'pdb', 'web'])), 30_000, 300);
  assert.match(await ok(['get', 'pdb']), /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/m);
  const described = await ok(['describe', 'pdb', 'web']);
  assert.match(described, /Min available:\s+3/);
  assert.match(described, /Allowed disruptions:\s+1/);

  const onNode1 = (await ok(['get', 'pods', '-l', 'app=web', '--field-selector=spec.nodeName=node1', '-o', 'name'])).trim().split('\n').filter(Boolean);
  assert.ok(onNode1.length >= 1, 'the scheduler spreads pods over both nodes');
  const drained = await ok(['drain', 'node1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s'], 150_000);
  console.log(`drained ${onNode1.length} pods from node1; refusals retried: ${(drained.match(/will retry after 5s/g) ?? []).length}`);
  assert.match(drained, /node\/node1 cordoned/);
  assert.match(drained, /node\/node1 drained/);
  if (onNode1.length >= 2) assert.match(drained, /Cannot evict pod as it would violate the pod's disruption budget\./, 'concurrent evictions beyond the budget were refused and retried');
  await waitFor('all pods on node2 and ready', async () => {
    const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: Pod[] };
    const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
    return live.length === 4 && live.every((p) => p.spec?.nodeName === 'node2' && p.status?.phase === 'Running');
  }, 60_000, 500);
  await waitFor('budget healthy again', async () => /^web\s+3\s+N\/A\s+1\s/m.test(await ok(['get', 'pdb', 'web'])), 30_000, 300);
  await ok(['uncordon', 'node1']);

  // maxUnavailable as a percentage of the Deployment's scale.
  await ok(['create', 'pdb', 'web-pct', '--selector=app=other', '--max-unavailable=50%']);
  await waitFor('pct pdb listed', async () => /^web-pct\s+N\/A\s+50%\s+0\s/m.test(await ok(['get', 'pdb', 'web-pct'])), 30_000, 300);
});

test('kubectl create/get/describe quota, refusals from quota admission, and LimitRange defaults', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster(t);
  await kubelets(t, cluster, ['node1']);
  const k = cluster.kubectl;
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await k(args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  await ok(['create', 'namespace', 'team']);
  await ok(['create', 'quota', 'compute', '-n', 'team', '--hard=pods=2,requests.cpu=1,requests.memory=1Gi']);
  let listed = '';
  await waitFor('quota status', async () => /^compute\s+\d+s\s+pods: 0\/2, requests\.cpu: 0\/1, requests\.memory: 0\/1Gi\s*$/m.test((listed = await ok(['get', 'quota', '-n', 'team']))), 30_000, 300).catch((err: Error) => {
    throw new Error(`${err.message}:\n${listed}`);
  });

  const bare = await k(['run', 'bare', '-n', 'team', '--image=busybox']);
  assert.notEqual(bare.code, 0);
  assert.match(bare.stderr, /Error from server \(Forbidden\): pods "bare" is forbidden: failed quota: compute: must specify requests\.cpu for: bare; requests\.memory for: bare/);

  await ok(['apply', '-n', 'team', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'defaults' }, spec: { limits: [{ type: 'Container', defaultRequest: { cpu: '400m', memory: '256Mi' }, default: { cpu: '800m', memory: '512Mi' }, max: { cpu: '1' } }] } }));
  await ok(['run', 'one', '-n', 'team', '--image=busybox']);
  assert.equal(await ok(['get', 'pod', 'one', '-n', 'team', '-o', 'jsonpath={.spec.containers[0].resources.requests.cpu}']), '400m');
  assert.match(await ok(['get', 'pod', 'one', '-n', 'team', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}']), /^LimitRanger plugin set: cpu, memory request for container one; cpu, memory limit for container one$/);
  await ok(['run', 'two', '-n', 'team', '--image=busybox']);
  const third = await k(['run', 'three', '-n', 'team', '--image=busybox']);
  assert.notEqual(third.code, 0);
  assert.match(third.stderr, /pods "three" is forbidden: exceeded quota: compute, requested: pods=1,requests\.cpu=400m, used: pods=2,requests\.cpu=800m, limited: pods=2,requests\.cpu=1/);
  const tooBig = await k(['run', 'big', '-n', 'team', '--image=busybox', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'big', image: 'busybox', resources: { limits: { cpu: '2' } } }] } })]);
  assert.notEqual(tooBig.code, 0);
  assert.match(tooBig.stderr, /pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);

  const described = await ok(['describe', 'quota', 'compute', '-n', 'team']);
  assert.match(described, /^Name:\s+compute$/m);
  assert.match(described, /^Namespace:\s+team$/m);
  assert.match(described, /^Resource\s+Used\s+Hard$/m);
  assert.match(described, /^pods\s+2\s+2$/m);
  assert.match(described, /^requests\.cpu\s+800m\s+1$/m);
  assert.match(described, /^requests\.memory\s+512Mi\s+1Gi$/m);

  const ns = await ok(['describe', 'namespace', 'team']);
  assert.match(ns, /Resource Quotas\s+Name:\s+compute/);
  assert.match(ns, /^\s+pods\s+2\s+2$/m);
  assert.match(ns, /Resource Limits/);
  assert.match(ns, /Container\s+cpu\s+-\s+1\s+400m\s+800m/);

  await ok(['delete', 'pod', 'one', '-n', 'team', '--wait=true']);
  await waitFor('usage given back', async () => /pods: 1\/2, requests\.cpu: 400m\/1/.test(await ok(['get', 'quota', '-n', 'team'])), 30_000, 300);
  assert.match(await ok(['describe', 'limitrange', 'defaults', '-n', 'team']), /Container\s+cpu\s+-\s+1\s+400m\s+800m/);
});
