import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { CronJobController } from '../../../src/controllers/cronjob.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from './harness.js';

const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs', namespace: 'default' };
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespace: 'default' };
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: 'default' };

/**
 * A clock running at real speed but shifted so a minute boundary is 1.5 s away (schedules are
 * per minute); `jump` moves it a whole minute on.
 */
async function shiftedClock(): Promise<{ now: () => Date; boundary: number; jump(ms: number): void }> {
  if (Date.now() % 60_000 > 57_000) await sleep(3500);
  const real = Date.now();
  const boundary = Math.ceil(real / 60_000) * 60_000;
  let offset = boundary - 1500 - real;
  return { now: () => new Date(Date.now() + offset), boundary, jump: (ms) => (offset += ms) };
}

function cronJob(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '* * * * *',
      ...spec,
      jobTemplate: { metadata: { labels: { cron: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
    },
  };
}

async function jobsOf(client: ApiClient, name: string): Promise<KubeObject[]> {
  return (await client.list(JOBS, { labelSelector: `cron=${name}` })).items.filter((j) => !j.metadata?.deletionTimestamp);
}

/** Plays the job controller: marks a job Complete. */
async function complete(client: ApiClient, name: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.patch(JOBS, name, 'merge', {
    status: {
      startTime: now,
      completionTime: now,
      succeeded: 1,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', lastProbeTime: now, lastTransitionTime: now },
        { type: 'Complete', status: 'True', reason: 'CompletionsReached', lastProbeTime: now, lastTransitionTime: now },
      ],
    },
  }, { subresource: 'status' });
}

let pokes = 0;
/** Any update of the CronJob makes the controller look again (after moving the clock). */
async function poke(client: ApiClient, name: string): Promise<void> {
  await client.patch(CRONJOBS, name, 'merge', { metadata: { annotations: { poke: String(++pokes) } } });
}

async function reasons(client: ApiClient, name: string): Promise<string[]> {
  return (await client.list(EVENTS, { fieldSelector: `involvedObject.name=${name}` })).items.map((e) => e.reason as string);
}

describe('cronjob controller', () => {
  test('creates a job named by the scheduled minute when the schedule comes, and tracks it to completion', async (t) => {
    const clock = await shiftedClock();
    const client = await startControllers(t, () => [new CronJobController({ now: clock.now })]);
    const cj = await client.create(CRONJOBS, cronJob('tick'));
    const name = `tick-${clock.boundary / 60_000}`;
    assert.equal((await jobsOf(client, 'tick')).length, 0, 'nothing before the scheduled time');
    const job = await waitFor('the scheduled job', async () => (await jobsOf(client, 'tick'))[0], 5000);
    assert.equal(job.metadata?.name, name);
    assert.deepEqual(job.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(Date.parse(job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'] ?? ''), clock.boundary);
    const status = await waitFor('active', async () => {
      const s = (await client.get(CRONJOBS, 'tick')).status as { active?: { name: string }[]; lastScheduleTime?: string };
      return s.active?.length === 1 ? s : undefined;
    });
    assert.equal(status.active?.[0]?.name, name);
    assert.equal(status.lastScheduleTime, new Date(clock.boundary).toISOString().replace(/\.\d+Z$/, 'Z'));
    await complete(client, name);
    const done = await waitFor('lastSuccessfulTime', async () => {
      const s = (await client.get(CRONJOBS, 'tick')).status as { active?: unknown[]; lastSuccessfulTime?: string };
      return s.lastSuccessfulTime && !s.active ? s : undefined;
    });
    assert.ok(done.lastSuccessfulTime);
    const seen = await reasons(client, 'tick');
    assert.ok(seen.includes('SuccessfulCreate') && seen.includes('SawCompletedJob'), seen.join(','));
  });

  test('Forbid skips a run while a job is active; Replace deletes the active job and starts the new one', async (t) => {
    const clock = await shiftedClock();
    const client = await startControllers(t, () => [new CronJobController({ now: clock.now })]);
    await client.create(CRONJOBS, cronJob('once', { concurrencyPolicy: 'Forbid' }));
    const first = await waitFor('first job', async () => (await jobsOf(client, 'once'))[0], 5000);
    clock.jump(60_000);
    await poke(client, 'once');
    await waitFor('JobAlreadyActive', async () => (await reasons(client, 'once')).includes('JobAlreadyActive') || undefined);
    assert.deepEqual((await jobsOf(client, 'once')).map((j) => j.metadata?.name), [first.metadata?.name]);

    await client.patch(CRONJOBS, 'once', 'merge', { spec: { concurrencyPolicy: 'Replace' } });
    const second = `once-${clock.boundary / 60_000 + 1}`;
    const jobs = await waitFor('replaced', async () => {
      const js = await jobsOf(client, 'once');
      return js.length === 1 && js[0]?.metadata?.name === second ? js : undefined;
    });
    assert.equal(jobs.length, 1);
    assert.ok((await reasons(client, 'once')).includes('SuccessfulDelete'));
  });

  test('a run later than startingDeadlineSeconds is missed, with a MissSchedule warning', async (t) => {
    const clock = await shiftedClock();
    // Half a minute past a scheduled minute, ten minutes on: the latest run is 30 s late.
    clock.jump(10 * 60_000 + 31_500);
    const client = await startControllers(t, () => [new CronJobController({ now: clock.now })]);
    await client.create(CRONJOBS, cronJob('late', { startingDeadlineSeconds: 10 }));
    await waitFor('MissSchedule', async () => (await reasons(client, 'late')).includes('MissSchedule') || undefined);
    assert.equal((await jobsOf(client, 'late')).length, 0);
  });

  test('a suspended cronjob creates nothing; resumed, it runs and keeps only successfulJobsHistoryLimit finished jobs', async (t) => {
    const clock = await shiftedClock();
    const client = await startControllers(t, () => [new CronJobController({ now: clock.now })]);
    await client.create(CRONJOBS, cronJob('hist', { suspend: true, successfulJobsHistoryLimit: 1 }));
    await sleep(2500);
    await poke(client, 'hist');
    await sleep(300);
    assert.equal((await jobsOf(client, 'hist')).length, 0, 'suspended: no job');
    await client.patch(CRONJOBS, 'hist', 'merge', { spec: { suspend: false } });
    const first = await waitFor('first job', async () => (await jobsOf(client, 'hist'))[0]);
    await complete(client, first.metadata?.name ?? '');
    clock.jump(60_000);
    await poke(client, 'hist');
    const second = await waitFor('second job', async () => (await jobsOf(client, 'hist')).find((j) => j.metadata?.name !== first.metadata?.name));
    await complete(client, second.metadata?.name ?? '');
    await waitFor('history pruned to 1', async () => {
      const js = await jobsOf(client, 'hist');
      return js.length === 1 && js[0]?.metadata?.name === second.metadata?.name ? js : undefined;
    });
  });
});
