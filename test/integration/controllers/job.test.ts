import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { GarbageCollector } from '../../../src/controllers/garbage-collector.js';
import { JobController } from '../../../src/controllers/job.js';
import { ControllerManager } from '../../../src/controllers/manager.js';
import { startHarness } from '../apiserver/harness.js';
import { waitFor } from '../../helpers/index.js';
import { setPodReady, startControllers } from './harness.js';

const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespace: 'default' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: 'default' };

function job(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  };
}

/** Plays the kubelet: the pod's container exits with `code` (0: Succeeded, else Failed). */
async function finish(client: ApiClient, pod: KubeObject, code: number): Promise<void> {
  await client.patch(PODS, pod.metadata?.name ?? '', 'merge', {
    status: {
      phase: code === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } } }],
    },
  }, { subresource: 'status' });
}

async function runningPods(client: ApiClient, name: string, n: number): Promise<KubeObject[]> {
  return waitFor(`${n} running pods of ${name}`, async () => {
    const pods = (await client.list(PODS, { labelSelector: `job-name=${name}` })).items.filter((p) => !p.metadata?.deletionTimestamp && !['Succeeded', 'Failed'].includes((p.status as { phase?: string } | undefined)?.phase ?? ''));
    return pods.length === n ? pods : undefined;
  }, 10_000);
}

type Cond = { type: string; status: string; reason?: string };
async function condition(client: ApiClient, name: string, type: string): Promise<KubeObject> {
  return waitFor(`${name} ${type}`, async () => {
    const j = await client.get(JOBS, name);
    return ((j.status as { conditions?: Cond[] } | undefined)?.conditions ?? []).some((c) => c.type === type && c.status === 'True') ? j : undefined;
  }, 10_000);
}

describe('job controller', () => {
  test('runs completions pods at most parallelism at a time, tracks them with the finalizer, and completes', async (t) => {
    const client = await startControllers(t, () => [new JobController()]);
    const created = await client.create(JOBS, job('pi', { completions: 3, parallelism: 2 }));
    const uid = created.metadata?.uid;
    const first = await runningPods(client, 'pi', 2);
    for (const p of first) {
      assert.match(p.metadata?.name ?? '', /^pi-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata?.finalizers, ['batch.kubernetes.io/job-tracking']);
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/controller-uid'], uid);
      assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid, controller: true, blockOwnerDeletion: true }]);
    }
    await setPodReady(client, first[0]!, true);
    await waitFor('active 2 ready 1', async () => {
      const s = (await client.get(JOBS, 'pi')).status as Record<string, unknown>;
      return s.active === 2 && s.ready === 1 && typeof s.startTime === 'string' ? s : undefined;
    });
    await finish(client, first[0]!, 0);
    await finish(client, first[1]!, 0);
    const last = await runningPods(client, 'pi', 1);
    await finish(client, last[0]!, 0);
    const done = await condition(client, 'pi', 'Complete');
    const status = done.status as Record<string, unknown> & { conditions: Cond[] };
    assert.equal(status.succeeded, 3);
    assert.equal(status.failed, 0);
    assert.equal(status.active, 0);
    assert.ok(status.completionTime);
    assert.deepEqual(status.conditions.map((c) => [c.type, c.status, c.reason]), [['SuccessCriteriaMet', 'True', 'CompletionsReached'], ['Complete', 'True', 'CompletionsReached']]);
    const all = (await client.list(PODS, { labelSelector: 'job-name=pi' })).items;
    assert.equal(all.length, 3);
    assert.ok(all.every((p) => !p.metadata?.finalizers?.length), 'every counted pod is released');
    const events = (await client.list(EVENTS, { fieldSelector: 'involvedObject.name=pi' })).items;
    assert.equal(events.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
    assert.equal(events.filter((e) => e.reason === 'Completed').length, 1);
  });

  test('replaces failed pods until backoffLimit, then fails with BackoffLimitExceeded', async (t) => {
    const client = await startControllers(t, () => [new JobController({ podBackoffMs: 20 })]);
    await client.create(JOBS, job('flaky', { backoffLimit: 1 }));
    for (let i = 0; i < 2; i++) {
      const [pod] = await runningPods(client, 'flaky', 1);
      await finish(client, pod!, 1);
      if (i === 0) await waitFor('replacement', async () => (await runningPods(client, 'flaky', 1))[0]?.metadata?.uid !== pod!.metadata?.uid || undefined);
    }
    const failed = await condition(client, 'flaky', 'Failed');
    const status = failed.status as Record<string, unknown> & { conditions: Cond[] };
    assert.equal(status.failed, 2);
    assert.equal(status.succeeded, 0);
    assert.deepEqual(status.conditions.map((c) => [c.type, c.reason]), [['FailureTarget', 'BackoffLimitExceeded'], ['Failed', 'BackoffLimitExceeded']]);
    const events = (await client.list(EVENTS, { fieldSelector: 'involvedObject.name=flaky' })).items;
    assert.ok(events.some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning'));
  });

  test('an Indexed job runs each completion index once with its index label, annotation and hostname', async (t) => {
    const client = await startControllers(t, () => [new JobController({ podBackoffMs: 20 })]);
    await client.create(JOBS, job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const pods = await runningPods(client, 'idx', 3);
    const byIndex = new Map(pods.map((p) => [p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    for (const [i, p] of byIndex) {
      assert.match(p.metadata?.name ?? '', new RegExp(`^idx-${i}-[a-z0-9]{5}$`));
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], i);
      assert.equal((p.spec as { hostname?: string }).hostname, `idx-${i}`);
    }
    await finish(client, byIndex.get('1')!, 0);
    await waitFor('completedIndexes 1', async () => ((await client.get(JOBS, 'idx')).status as { completedIndexes?: string }).completedIndexes === '1' || undefined);
    // A failed index is retried with a new pod for the same index.
    await finish(client, byIndex.get('0')!, 1);
    const again = await waitFor('index 0 again', async () => (await runningPods(client, 'idx', 2)).find((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] === '0' && p.metadata.uid !== byIndex.get('0')!.metadata?.uid));
    await finish(client, again, 0);
    await finish(client, byIndex.get('2')!, 0);
    const done = await condition(client, 'idx', 'Complete');
    const status = done.status as Record<string, unknown>;
    assert.equal(status.completedIndexes, '0-2');
    assert.equal(status.succeeded, 3);
    assert.equal(status.failed, 1);
  });

  test('activeDeadlineSeconds fails the job with DeadlineExceeded and deletes its pods', async (t) => {
    const client = await startControllers(t, () => [new JobController()]);
    // 3 s, not 1: the test must see both pods running before the deadline deletes them, and
    // under load (a CI run) 1 s was once too short for that.
    await client.create(JOBS, job('slow', { activeDeadlineSeconds: 3, parallelism: 2, completions: 2 }));
    await runningPods(client, 'slow', 2);
    const failed = await condition(client, 'slow', 'Failed');
    assert.equal(((failed.status as { conditions: Cond[] }).conditions.find((c) => c.type === 'Failed'))?.reason, 'DeadlineExceeded');
    await waitFor('pods gone', async () => (await client.list(PODS, { labelSelector: 'job-name=slow' })).items.length === 0 || undefined);
  });

  test('suspend deletes active pods without counting failures; resume starts them again', async (t) => {
    const client = await startControllers(t, () => [new JobController()]);
    await client.create(JOBS, job('pause', { parallelism: 2, completions: 4 }));
    await runningPods(client, 'pause', 2);
    await client.patch(JOBS, 'pause', 'merge', { spec: { suspend: true } });
    await condition(client, 'pause', 'Suspended');
    await waitFor('pods gone', async () => (await client.list(PODS, { labelSelector: 'job-name=pause' })).items.length === 0 || undefined);
    const s = (await client.get(JOBS, 'pause')).status as Record<string, unknown>;
    assert.equal(s.failed, 0);
    assert.equal(s.active, 0);
    await client.patch(JOBS, 'pause', 'merge', { spec: { suspend: false } });
    await runningPods(client, 'pause', 2);
    const resumed = await waitFor('resumed', async () => {
      const c = ((await client.get(JOBS, 'pause')).status as { conditions?: Cond[] }).conditions?.find((x) => x.type === 'Suspended');
      return c?.status === 'False' ? c : undefined;
    });
    assert.equal(resumed.reason, 'JobResumed');
  });

  test('a podFailurePolicy Ignore rule does not count the failure; FailJob fails at once', async (t) => {
    const client = await startControllers(t, () => [new JobController({ podBackoffMs: 20 })]);
    const spec = { backoffLimit: 5, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } }, { action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } };
    await client.create(JOBS, job('policy', spec));
    const [first] = await runningPods(client, 'policy', 1);
    await finish(client, first!, 3);
    const [second] = await waitFor('replacement', async () => {
      const pods = await runningPods(client, 'policy', 1);
      return pods[0]?.metadata?.uid !== first!.metadata?.uid ? pods : undefined;
    });
    assert.equal(((await client.get(JOBS, 'policy')).status as { failed?: number }).failed, 0);
    await finish(client, second!, 42);
    const failed = await condition(client, 'policy', 'Failed');
    assert.equal(((failed.status as { conditions: Cond[] }).conditions.find((c) => c.type === 'Failed'))?.reason, 'PodFailurePolicy');
  });

  test('ttlSecondsAfterFinished deletes the finished job and its pods', async (t) => {
    const client = await startControllers(t, () => [new JobController(), new GarbageCollector()]);
    await client.create(JOBS, job('ttl', { ttlSecondsAfterFinished: 0 }));
    const [pod] = await runningPods(client, 'ttl', 1);
    await finish(client, pod!, 0);
    await waitFor('job deleted', async () => {
      try {
        await client.get(JOBS, 'ttl');
        return undefined;
      } catch {
        return true;
      }
    }, 10_000);
    await waitFor('pods deleted', async () => (await client.list(PODS, { labelSelector: 'job-name=ttl' })).items.length === 0 || undefined, 10_000);
  });

  test('a controller restart between recording a finished pod and releasing it counts the pod exactly once', async (t) => {
    const h = await startHarness(t);
    const client = h.server.loopback();
    const run = async (): Promise<() => Promise<void>> => {
      const manager = new ControllerManager(client, () => [new JobController()], { retryPeriodMs: 50 });
      const ac = new AbortController();
      await manager.start(ac.signal);
      const stop = async (): Promise<void> => {
        ac.abort();
        await manager.stopped();
      };
      t.after(stop);
      return stop;
    };
    const stopFirst = await run();
    await client.create(JOBS, job('crash', { completions: 3, parallelism: 2 }));
    const [a, b] = await runningPods(client, 'crash', 2);
    await stopFirst();
    // What the first controller would have written just before dying: A recorded, not yet released.
    await finish(client, a!, 0);
    const j = await client.get(JOBS, 'crash');
    await client.update(JOBS, { ...j, status: { ...(j.status as object), uncountedTerminatedPods: { succeeded: [a!.metadata?.uid] } } }, { subresource: 'status' });
    await finish(client, b!, 0);
    await run();
    const [c] = await runningPods(client, 'crash', 1);
    await finish(client, c!, 0);
    const done = await condition(client, 'crash', 'Complete');
    const status = done.status as Record<string, unknown>;
    assert.equal(status.succeeded, 3);
    assert.equal(status.failed, 0);
    assert.deepEqual(status.uncountedTerminatedPods, {});
    assert.equal((await client.list(PODS, { labelSelector: 'job-name=crash' })).items.length, 3, 'no pod created twice');
  });

  test('a job managed by another controller (spec.managedBy) is left alone', async (t) => {
    const client = await startControllers(t, () => [new JobController()]);
    await client.create(JOBS, { ...job('external'), spec: { ...(job('external').spec as object), managedBy: 'example.com/queue' } });
    await client.create(JOBS, job('mine'));
    await runningPods(client, 'mine', 1);
    assert.equal((await client.list(PODS, { labelSelector: 'job-name=external' })).items.length, 0);
  });

  test('backoffLimitPerIndex retries each index on its own and fails the job with FailedIndexes', async (t) => {
    const client = await startControllers(t, () => [new JobController({ podBackoffMs: 20 })]);
    await client.create(JOBS, job('per', { completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 1 }));
    const idx = (p: KubeObject | undefined): string | undefined => p?.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'];
    const pods = await runningPods(client, 'per', 2);
    const zero = pods.find((p) => idx(p) === '0')!;
    await finish(client, pods.find((p) => idx(p) === '1')!, 0);
    await finish(client, zero, 1);
    const retry = await waitFor('index 0 retried', async () => (await runningPods(client, 'per', 1)).find((p) => idx(p) === '0' && p.metadata?.uid !== zero.metadata?.uid));
    assert.equal(retry.metadata?.annotations?.['batch.kubernetes.io/job-index-failure-count'], '1');
    await finish(client, retry, 1);
    const failed = await condition(client, 'per', 'Failed');
    const status = failed.status as Record<string, unknown> & { conditions: Cond[] };
    assert.equal(status.failedIndexes, '0');
    assert.equal(status.completedIndexes, '1');
    assert.equal(status.conditions.find((c) => c.type === 'Failed')?.reason, 'FailedIndexes');
    assert.equal((await client.list(PODS, { labelSelector: 'job-name=per' })).items.length, 3, 'index 0 ran twice, index 1 once');
  });

  test('a successPolicy completes an Indexed job early and removes the lingering pods', async (t) => {
    const client = await startControllers(t, () => [new JobController()]);
    await client.create(JOBS, job('leader', { completions: 3, parallelism: 3, completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] } }));
    const pods = await runningPods(client, 'leader', 3);
    await finish(client, pods.find((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] === '0')!, 0);
    const done = await condition(client, 'leader', 'Complete');
    const status = done.status as Record<string, unknown> & { conditions: Cond[] };
    assert.deepEqual(status.conditions.map((c) => [c.type, c.reason]), [['SuccessCriteriaMet', 'SuccessPolicy'], ['Complete', 'SuccessPolicy']]);
    assert.equal(status.completedIndexes, '0');
    assert.equal(status.failed, 0, 'lingering pods removed by the controller are not failures');
    await waitFor('lingering pods gone', async () => (await runningPods(client, 'leader', 0)).length === 0 || undefined);
  });

  test('deleting a running job in the background releases its pods for the garbage collector', async (t) => {
    const client = await startControllers(t, () => [new JobController(), new GarbageCollector()]);
    await client.create(JOBS, job('gone', { parallelism: 2, completions: 2 }));
    await runningPods(client, 'gone', 2);
    await client.delete(JOBS, 'gone', { propagationPolicy: 'Background' });
    await waitFor('pods deleted', async () => (await client.list(PODS, { labelSelector: 'job-name=gone' })).items.length === 0 || undefined, 10_000);
  });

  test('a job with a manual selector adopts a matching orphan pod instead of creating one', async (t) => {
    const client = await startControllers(t, () => [new JobController()]);
    await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { grp: 'batch1' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } });
    const j = await client.create<KubeObject>(JOBS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'manual' },
      spec: { manualSelector: true, selector: { matchLabels: { grp: 'batch1' } }, template: { metadata: { labels: { grp: 'batch1' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const stray = await waitFor('adopted', async () => {
      const p = await client.get(PODS, 'stray');
      return p.metadata?.ownerReferences?.[0]?.uid === j.metadata?.uid ? p : undefined;
    });
    assert.equal(stray.metadata?.ownerReferences?.[0]?.kind, 'Job');
    await waitFor('active 1', async () => ((await client.get(JOBS, 'manual')).status as { active?: number }).active === 1 || undefined);
    assert.equal((await client.list(PODS, { labelSelector: 'grp=batch1' })).items.length, 1, 'no extra pod');
  });
});
