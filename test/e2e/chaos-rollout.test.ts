/**
 * Chaos: a `k3s server --disable-agent` is SIGKILLed and restarted on the same data dir several
 * times while a Deployment rolls out. The test plays the kubelets of two fake nodes over HTTPS
 * (heartbeats, pods Running/Ready a moment after they are bound, deleted pods removed), and
 * watches every pod it ever sees. Afterwards `kubectl rollout status` must complete, and the end
 * state must be exactly what an uninterrupted rollout gives: N pods of the new template, two
 * ReplicaSets (revisions 1 and 2), no pod name ever used twice, never more pods than the surge
 * allows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { httpsClientFromKubeconfig } from '../../src/client/https-client.js';
import { K3S_BIN, spawnTracked, waitFor, type Tracked } from '../helpers/index.js';
import { startCluster, type Cluster } from './kubectl-cluster.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const REPLICAS = 6;
const MAX_SURGE = 2;
const NODE_NAMES = ['chaos-a', 'chaos-b'];
/** How long a bound pod takes to become Ready, so that a rollout spans several kill points. */
const READY_AFTER_MS = 1500;

type Pod = KubeObject & { spec?: { nodeName?: string; containers?: { image?: string }[] }; status?: { phase?: string } };

interface KubeletRecord {
  /** Every pod name seen, with the uids it had (a reused name would show two). */
  readonly uids: Map<string, Set<string>>;
  /** The most pods alive (not being deleted) at one look. */
  maxAlive: number;
  /** Alive pods per image at the latest look. */
  images: Record<string, number>;
}

/** Fake kubelets for NODE_NAMES over HTTPS; they keep going (and failing quietly) while the server is down. */
async function fakeKubelets(t: { after(fn: () => unknown): void }, cluster: Cluster): Promise<KubeletRecord> {
  const client = httpsClientFromKubeconfig(cluster.kubeconfig);
  t.after(() => client.close());
  const stamp = (): string => new Date().toISOString().slice(0, 19) + 'Z';
  const capacity = { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '50Gi' };
  const heartbeat = async (name: string): Promise<void> => {
    await client.patch(NODES, name, 'merge', { status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: stamp(), lastTransitionTime: stamp() }] } }, { subresource: 'status' });
  };
  for (const name of NODE_NAMES) {
    await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
    await heartbeat(name);
  }
  const record: KubeletRecord = { uids: new Map(), maxAlive: 0, images: {} };
  const firstBound = new Map<string, number>();
  let busy = false;
  let lastBeat = Date.now();
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      if (Date.now() - lastBeat > 5000) {
        for (const name of NODE_NAMES) await heartbeat(name);
        lastBeat = Date.now();
      }
      const pods = (await client.list<Pod>({ ...PODS, namespace: 'default' })).items;
      let alive = 0;
      const images: Record<string, number> = {};
      for (const pod of pods) {
        const name = pod.metadata?.name ?? '';
        const uid = pod.metadata?.uid ?? '';
        let seen = record.uids.get(name);
        if (!seen) record.uids.set(name, (seen = new Set()));
        seen.add(uid);
        const ref = { ...PODS, namespace: 'default' };
        if (pod.metadata?.deletionTimestamp) {
          await client.delete(ref, name, { gracePeriodSeconds: 0 }).catch(() => undefined);
          continue;
        }
        alive++;
        const image = (pod.spec as { containers?: { image?: string }[] } | undefined)?.containers?.[0]?.image ?? '';
        images[image] = (images[image] ?? 0) + 1;
        const node = pod.spec?.nodeName;
        if (!node || !NODE_NAMES.includes(node) || pod.status?.phase === 'Running') continue;
        const bound = firstBound.get(uid) ?? (firstBound.set(uid, Date.now()), Date.now());
        if (Date.now() - bound < READY_AFTER_MS) continue;
        const ts = stamp();
        await client
          .patch(ref, name, 'merge', {
            status: { phase: 'Running', podIP: '10.42.0.9', hostIP: '127.0.0.1', startTime: ts, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts }, { type: 'ContainersReady', status: 'True', lastTransitionTime: ts }, { type: 'PodScheduled', status: 'True', lastTransitionTime: ts }] },
          }, { subresource: 'status' })
          .catch(() => undefined);
      }
      record.maxAlive = Math.max(record.maxAlive, alive);
      record.images = images;
    } catch {
      // the server is down (being killed); the next tick tries again, as a kubelet would
    } finally {
      busy = false;
    }
  }, 150);
  t.after(() => clearInterval(timer));
  return record;
}

/** SIGKILLs the server and starts it again on the same data dir; resolves once its controllers lead. */
async function killAndRestart(t: { after(fn: () => unknown): void }, cluster: Cluster, server: Tracked): Promise<Tracked> {
  server.child.kill('SIGKILL');
  await server.exited;
  const restarted = spawnTracked(t, process.execPath, [K3S_BIN, 'server', '--disable-agent', '-d', join(cluster.dir, 'data'), '--https-listen-port', String(cluster.port), '--write-kubeconfig', cluster.kubeconfig], {
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  await waitFor('restarted server', () => {
    if (restarted.child.exitCode !== null) throw new Error(`k3s server exited with ${restarted.child.exitCode}:\n${restarted.output()}`);
    return restarted.output().includes('"k3s is up"');
  }, 60_000, 50);
  // The killed server still holds the controller lease until it expires; wait for the new one
  // to lead so the next kill lands in the middle of real work.
  await waitFor('controllers leading again', () => /"component":"kube-controller-manager"[^\n]*"msg":"leading: starting controllers"/.test(restarted.output()), 60_000, 100);
  return restarted;
}

test('SIGKILL and restart of the server mid-rollout: the rollout completes with no duplicate, lost or reused pods', { timeout: 480_000 }, async (t) => {
  const cluster = await startCluster(t);
  const record = await fakeKubelets(t, cluster);
  const k = cluster.kubectl;
  const ok = async (args: string[], timeoutMs = 120_000): Promise<string> => {
    const r = await k(args, { timeoutMs });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  await ok(['create', 'deployment', 'chaos', '--image=busybox:1.36', `--replicas=${REPLICAS}`]);
  await ok(['patch', 'deployment', 'chaos', '--type=merge', '-p', JSON.stringify({ spec: { strategy: { rollingUpdate: { maxSurge: MAX_SURGE, maxUnavailable: 1 } } } })]);
  assert.match(await ok(['rollout', 'status', 'deployment/chaos', '--timeout=120s']), /successfully rolled out/);
  const firstGeneration = new Set(record.uids.keys());

  await ok(['set', 'image', 'deployment/chaos', 'busybox=busybox:1.37']);
  let server: Tracked = cluster.server;
  const kills: string[] = [];
  let killedMidRollout = 0;
  for (let i = 0; i < 3; i++) {
    // A random point of the rollout: the first kill soon after the change, later ones after the
    // restarted server has become leader and worked for a while.
    const delay = 300 + Math.floor(Math.random() * 2500);
    await new Promise((r) => setTimeout(r, delay));
    const seen = { ...record.images };
    kills.push(`${delay} ms (${JSON.stringify(seen)})`);
    if ((seen['busybox:1.36'] ?? 0) > 0) killedMidRollout++;
    server = await killAndRestart(t, cluster, server);
  }
  console.log(`killed after ${kills.join(', ')} of each leadership`);
  assert.ok(killedMidRollout > 0, `at least one kill landed while old pods were still running: ${kills.join(', ')}`);

  assert.match(await ok(['rollout', 'status', 'deployment/chaos', '--timeout=180s'], 200_000), /successfully rolled out/);
  const sets = JSON.parse(await ok(['get', 'rs', '-l', 'app=chaos', '-o', 'json'])) as { items: (KubeObject & { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } })[] };
  assert.equal(sets.items.length, 2, `one ReplicaSet per template, none extra: ${sets.items.map((s) => s.metadata?.name).join(', ')}`);
  const byRevision = new Map(sets.items.map((s) => [s.metadata?.annotations?.['deployment.kubernetes.io/revision'], s]));
  const newSet = byRevision.get('2');
  const oldSet = byRevision.get('1');
  assert.ok(newSet && oldSet, `revisions 1 and 2: ${[...byRevision.keys()].join(', ')}`);
  assert.equal(newSet.spec.template.spec.containers[0]?.image, 'busybox:1.37');
  assert.equal(newSet.spec.replicas, REPLICAS);
  assert.equal(oldSet.spec.replicas, 0);
  const history = await ok(['rollout', 'history', 'deployment/chaos']);
  assert.match(history, /^1\s+<none>/m);
  assert.match(history, /^2\s+<none>/m);
  assert.doesNotMatch(history, /^3\s/m);

  const hash = newSet.metadata?.labels?.['pod-template-hash'];
  await waitFor('only the new pods remain', async () => {
    const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=chaos', '-o', 'json'])) as { items: Pod[] };
    return pods.items.length === REPLICAS && pods.items.every((p) => p.metadata?.labels?.['pod-template-hash'] === hash && !p.metadata?.deletionTimestamp);
  }, 60_000, 500);
  const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=chaos', '-o', 'json'])) as { items: Pod[] };
  assert.equal(pods.items.filter((p) => p.status?.phase === 'Running').length, REPLICAS, 'every new pod runs');
  for (const p of pods.items) assert.ok(!firstGeneration.has(p.metadata?.name ?? ''), `${p.metadata?.name} is new`);

  const reused = [...record.uids].filter(([, uids]) => uids.size > 1).map(([name]) => name);
  assert.deepEqual(reused, [], 'no pod name was used twice');
  assert.ok(record.maxAlive <= REPLICAS + MAX_SURGE, `at most ${REPLICAS + MAX_SURGE} pods at once, saw ${record.maxAlive}`);
  console.log(`pods ever: ${record.uids.size}, most alive at once: ${record.maxAlive}`);
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0, server.output().slice(-2000));
});

test('SIGKILL and restart while a Deployment scales up: exactly the wanted pods, never more', { timeout: 360_000 }, async (t) => {
  const cluster = await startCluster(t);
  const record = await fakeKubelets(t, cluster);
  const ok = async (args: string[], timeoutMs = 120_000): Promise<string> => {
    const r = await cluster.kubectl(args, { timeoutMs });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const WANT = 24;
  await ok(['create', 'deployment', 'burst', '--image=busybox:1.36', '--replicas=2']);
  assert.match(await ok(['rollout', 'status', 'deployment/burst', '--timeout=120s']), /successfully rolled out/);
  await ok(['scale', 'deployment/burst', `--replicas=${WANT}`]);
  let server: Tracked = cluster.server;
  const seenAtKill: number[] = [];
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 600)));
    seenAtKill.push(Object.values(record.images).reduce((a, b) => a + b, 0));
    server = await killAndRestart(t, cluster, server);
  }
  console.log(`pods alive at the kills: ${seenAtKill.join(', ')} of ${WANT}`);
  assert.match(await ok(['rollout', 'status', 'deployment/burst', '--timeout=180s'], 200_000), /successfully rolled out/);
  const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=burst', '-o', 'json'])) as { items: Pod[] };
  assert.equal(pods.items.length, WANT);
  assert.equal((await ok(['get', 'rs', '-l', 'app=burst', '-o', 'name'])).trim().split('\n').length, 1, 'one ReplicaSet');
  const reused = [...record.uids].filter(([, uids]) => uids.size > 1).map(([name]) => name);
  assert.deepEqual(reused, [], 'no pod name was used twice');
  assert.ok(record.maxAlive <= WANT, `never more than ${WANT} pods, saw ${record.maxAlive}`);
  assert.equal(record.uids.size, WANT, 'no pod was created and then deleted as an extra');
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0, server.output().slice(-2000));
});
