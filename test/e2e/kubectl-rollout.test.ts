/**
 * The kubectl workload flows of a real `k3s server --disable-agent`: the controllers and the
 * scheduler run in the server; the test plays one node's kubelet over HTTPS (registers a Ready
 * node and marks the pods bound to it Running and Ready), so Deployments roll out for real.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { httpsClientFromKubeconfig } from '../../src/client/https-client.js';
import type { ApiClient } from '../../src/client/types.js';
import { waitFor } from '../helpers/index.js';
import { startCluster, type Cluster } from './kubectl-cluster.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };

/** A stand-in kubelet for node "node1": pods bound to it become Running and Ready; deleted ones go at once. */
async function standInKubelet(t: { after(fn: () => unknown): void }, cluster: Cluster): Promise<ApiClient> {
  const client = httpsClientFromKubeconfig(cluster.kubeconfig);
  t.after(() => client.close());
  await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } } });
  const capacity = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '50Gi' };
  const now = (): string => new Date().toISOString().slice(0, 19) + 'Z';
  await client.patch(NODES, 'node1', 'merge', { status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: now(), lastTransitionTime: now() }] } }, { subresource: 'status' });
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const pods = await client.list({ group: '', version: 'v1', resource: 'pods' });
      for (const pod of pods.items) {
        const ref = { group: '', version: 'v1', resource: 'pods', namespace: pod.metadata?.namespace ?? 'default' };
        if ((pod.spec as { nodeName?: string }).nodeName !== 'node1') continue;
        if (pod.metadata?.deletionTimestamp) {
          await client.delete(ref, pod.metadata.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
          continue;
        }
        const status = pod.status as { phase?: string } | undefined;
        if (status?.phase === 'Running') continue;
        const ts = now();
        await client
          .patch(ref, pod.metadata?.name ?? '', 'merge', {
            status: { phase: 'Running', podIP: '10.42.0.9', hostIP: '127.0.0.1', startTime: ts, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts }, { type: 'ContainersReady', status: 'True', lastTransitionTime: ts }, { type: 'PodScheduled', status: 'True', lastTransitionTime: ts }] },
          }, { subresource: 'status' })
          .catch(() => undefined);
      }
    } catch {
      // the next tick tries again, as a kubelet would
    } finally {
      busy = false;
    }
  }, 100);
  t.after(() => clearInterval(timer));
  return client;
}

describe('kubectl rollout flows', () => {
  test('create, rollout status, set image, history, undo, pause/resume, scale, restart, and delete with cascades', { timeout: 240_000 }, async (t) => {
    const cluster = await startCluster(t);
    const client = await standInKubelet(t, cluster);
    const k = cluster.kubectl;
    const ok = async (args: string[], timeoutMs = 90_000): Promise<string> => {
      const r = await k(args, { timeoutMs });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };

    await ok(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=3']);
    assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']), /deployment "web" successfully rolled out/);
    assert.match(await ok(['get', 'deployment', 'web']), /web\s+3\/3\s+3\s+3\s+/);

    await ok(['set', 'image', 'deployment/web', 'busybox=busybox:1.37']);
    assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
    const history = await ok(['rollout', 'history', 'deployment/web']);
    assert.match(history, /^REVISION\s+CHANGE-CAUSE/m);
    assert.match(history, /^1\s+<none>/m);
    assert.match(history, /^2\s+<none>/m);
    const images = await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}']);
    await waitFor('only new pods', async () => {
      const out = await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}']);
      const list = out.trim().split('\n');
      return list.length === 3 && list.every((i) => i === 'busybox:1.37');
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${images}`);
    });

    await ok(['rollout', 'undo', 'deployment/web']);
    assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
    assert.equal((await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).trim(), 'busybox:1.36');
    assert.match(await ok(['rollout', 'history', 'deployment/web']), /^3\s+<none>/m);

    // pause: template changes wait; resume: they roll out.
    await ok(['rollout', 'pause', 'deployment/web']);
    await ok(['set', 'image', 'deployment/web', 'busybox=busybox:1.38']);
    await new Promise((r) => setTimeout(r, 1500));
    const pausedImages = await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    assert.doesNotMatch(pausedImages, /busybox:1\.38/, 'nothing rolls while paused');
    assert.match(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}']), /DeploymentPaused/);
    await ok(['rollout', 'resume', 'deployment/web']);
    assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
    await waitFor('resumed rollout reached the pods', async () => {
      const list = (await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}'])).trim().split('\n');
      return list.length === 3 && list.every((i) => i === 'busybox:1.38');
    }, 30_000);

    await ok(['scale', 'deployment/web', '--replicas=5']);
    await waitFor('5 ready', async () => /web\s+5\/5/.test(await ok(['get', 'deployment', 'web'])), 30_000);
    await ok(['rollout', 'restart', 'deployment/web']);
    assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
    const sets = await ok(['get', 'rs', '-l', 'app=web', '-o', 'name']);
    assert.equal(sets.trim().split('\n').length, 4, `four templates, four replica sets:\n${sets}`);

    // Orphan: the replica sets stay, without their owner.
    await ok(['delete', 'deployment', 'web', '--cascade=orphan']);
    const orphans = await ok(['get', 'rs', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.metadata.ownerReferences}{"\\n"}{end}']);
    assert.equal(orphans.trim().split('\n').filter((l) => l.trim() !== '').length, 0, `no owner references left:\n${orphans}`);
    await ok(['delete', 'rs', '-l', 'app=web']);

    // Foreground: kubectl waits until the pods and the replica set are gone, then the deployment.
    await ok(['create', 'deployment', 'api', '--image=busybox', '--replicas=2']);
    await ok(['rollout', 'status', 'deployment/api', '--timeout=60s']);
    await ok(['delete', 'deployment', 'api', '--cascade=foreground', '--wait=true', '--timeout=60s']);
    await waitFor('api pods gone', async () => (await ok(['get', 'pods', '-l', 'app=api', '-o', 'name'])).trim() === '', 30_000);
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.kind=Deployment']);
    assert.match(events, /ScalingReplicaSet/);
    const pod = (await client.list<KubeObject>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' })).items;
    assert.equal(pod.length, 0);
  });
});
