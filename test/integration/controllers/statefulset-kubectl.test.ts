/**
 * The kubectl flows users run against these controllers, with the real kubectl: a job runs to
 * completion (`kubectl wait`), a cronjob's job started by hand (`kubectl create job --from`),
 * `kubectl rollout status/history/undo` on a StatefulSet and a DaemonSet.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import type { Controller } from '../../../src/controllers/controller.js';
import { CronJobController } from '../../../src/controllers/cronjob.js';
import { DaemonSetController } from '../../../src/controllers/daemonset.js';
import { JobController } from '../../../src/controllers/job.js';
import { ControllerManager } from '../../../src/controllers/manager.js';
import { StatefulSetController } from '../../../src/controllers/statefulset.js';
import { Scheduler } from '../../../src/scheduler/index.js';
import { kubectl } from '../../helpers/index.js';
import { startHarness, type Harness } from '../apiserver/harness.js';
import { setPodReady } from './harness.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };

async function cluster(t: { after(fn: () => unknown): void }, make: () => Controller[]): Promise<{ h: Harness; client: ApiClient }> {
  const h = await startHarness(t);
  const client = h.server.loopback();
  const manager = new ControllerManager(client, make, { retryPeriodMs: 50 });
  const ac = new AbortController();
  await manager.start(ac.signal);
  t.after(async () => {
    ac.abort();
    await manager.stopped();
  });
  return { h, client };
}

/** Plays the kubelet for every pod: Running and Ready, or Succeeded for job pods; deletions finished off. */
function kubelet(t: { after(fn: () => unknown): void }, client: ApiClient): void {
  let stop = false;
  t.after(() => {
    stop = true;
  });
  void (async () => {
    while (!stop) {
      const pods = await client.list(PODS).then((l) => l.items).catch((): KubeObject[] => []);
      for (const p of pods) {
        const status = (p.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
        if (p.metadata?.deletionTimestamp) {
          await client.delete(PODS, p.metadata.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
        } else if (p.metadata?.labels?.['job-name']) {
          if (status.phase !== 'Succeeded') {
            await client.patch(PODS, p.metadata.name ?? '', 'merge', { status: { phase: 'Succeeded', containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }, { subresource: 'status' }).catch(() => undefined);
          }
        } else if (!(status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) {
          await setPodReady(client, p, true).catch(() => undefined);
        }
      }
      await sleep(50);
    }
  })();
}

async function ok(h: Harness, args: string[], timeoutMs = 20_000): Promise<string> {
  const r = await kubectl(h.kube, args, { timeoutMs });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('workload controllers with kubectl', () => {
  test('kubectl create job runs to completion and kubectl wait sees it; a cronjob job can be started by hand', async (t) => {
    const { h, client } = await cluster(t, () => [new JobController(), new CronJobController()]);
    kubelet(t, client);
    await ok(h, ['create', 'job', 'hello', '--image=busybox', '--', 'echo', 'hi']);
    await ok(h, ['wait', '--for=condition=complete', 'job/hello', '--timeout=20s']);
    const row = await ok(h, ['get', 'job', 'hello', '--no-headers']);
    assert.match(row, /^hello\s+Complete\s+1\/1\s+/);

    await ok(h, ['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'true']);
    await ok(h, ['create', 'job', 'nightly-manual', '--from=cronjob/nightly']);
    await ok(h, ['wait', '--for=condition=complete', 'job/nightly-manual', '--timeout=20s']);
    const cj = await ok(h, ['get', 'cronjob', 'nightly', '-o', 'jsonpath={.status.lastSuccessfulTime}']);
    assert.match(cj, /^\d{4}-\d\d-\d\dT/, 'the manual job of the cronjob counts as its success');
  });

  test('kubectl rollout status, history and undo on a StatefulSet', async (t) => {
    const { h, client } = await cluster(t, () => [new StatefulSetController()]);
    kubelet(t, client);
    const manifest = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: "busybox:1"}]}
`;
    const applied = await kubectl(h.kube, ['apply', '-f', '-'], { input: manifest });
    assert.equal(applied.code, 0, applied.stderr);
    const status = await ok(h, ['rollout', 'status', 'statefulset/db', '--timeout=20s']);
    assert.match(status, /partitioned roll out complete: 3 new pods have been updated|roll out complete/);
    await ok(h, ['set', 'image', 'statefulset/db', 'c=busybox:2']);
    await ok(h, ['rollout', 'status', 'statefulset/db', '--timeout=20s']);
    const images = await ok(h, ['get', 'pods', '-l', 'app=db', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    assert.deepEqual(images.split(' '), ['busybox:2', 'busybox:2', 'busybox:2']);
    const history = await ok(h, ['rollout', 'history', 'statefulset/db']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    await ok(h, ['rollout', 'undo', 'statefulset/db']);
    await ok(h, ['rollout', 'status', 'statefulset/db', '--timeout=20s']);
    const back = await ok(h, ['get', 'pods', '-l', 'app=db', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    assert.deepEqual(back.split(' '), ['busybox:1', 'busybox:1', 'busybox:1']);
    // The old template came back: its revision is renumbered rather than duplicated.
    const after = await ok(h, ['rollout', 'history', 'statefulset/db']);
    assert.doesNotMatch(after, /^1\s/m);
    assert.match(after, /^2\s/m);
    assert.match(after, /^3\s/m);
  });

  test('kubectl rollout status and undo on a DaemonSet', async (t) => {
    const { h, client } = await cluster(t, () => [new DaemonSetController(), new Scheduler()]);
    for (const name of ['n1', 'n2']) {
      await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
      await client.patch(NODES, name, 'merge', { status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
    }
    kubelet(t, client);
    const manifest = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: "busybox:1"}]}
`;
    const applied = await kubectl(h.kube, ['apply', '-f', '-'], { input: manifest });
    assert.equal(applied.code, 0, applied.stderr);
    const status = await ok(h, ['rollout', 'status', 'daemonset/agent', '--timeout=20s']);
    assert.match(status, /daemon set "agent" successfully rolled out/);
    await ok(h, ['set', 'image', 'daemonset/agent', 'c=busybox:2']);
    await ok(h, ['rollout', 'status', 'daemonset/agent', '--timeout=20s']);
    const row = await ok(h, ['get', 'daemonset', 'agent', '--no-headers']);
    assert.match(row, /^agent\s+2\s+2\s+2\s+2\s+2\s+/);
    await ok(h, ['rollout', 'undo', 'daemonset/agent']);
    await ok(h, ['rollout', 'status', 'daemonset/agent', '--timeout=20s']);
    const images = await ok(h, ['get', 'pods', '-l', 'app=agent', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    assert.deepEqual(images.split(' '), ['busybox:1', 'busybox:1']);
  });
});
