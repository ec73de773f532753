import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaderElection, runWithLeaderElection } from '../../../src/controllers/leader-election.js';
import { FakeApi } from '../../helpers/fake-api.js';

const fast = { leaseDurationSeconds: 0.3, retryPeriodMs: 20, renewDeadlineMs: 150 };

test('one of two candidates leads; the other takes over only after the lease goes unrenewed', async () => {
  const api = new FakeApi();
  const a = new LeaderElection(api, { name: 'ctrl', identity: 'a', ...fast });
  const b = new LeaderElection(api, { name: 'ctrl', identity: 'b', ...fast });
  const ac = new AbortController();
  assert.equal(await a.acquire(ac.signal), true);
  const aRenews = a.renewUntilLost(ac.signal);
  // b keeps trying while a renews: it must not get the lease.
  const bTry = new AbortController();
  setTimeout(() => bTry.abort(), 500);
  assert.equal(await b.acquire(bTry.signal), false);
  ac.abort();
  await aRenews;
  // a stopped renewing (crashed, no release): b waits a lease duration, then leads.
  const t0 = Date.now();
  assert.equal(await b.acquire(new AbortController().signal), true);
  assert.ok(Date.now() - t0 >= 250, `took over after ${Date.now() - t0} ms`);
  const lease = await api.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-system' }, 'ctrl');
  const spec = lease.spec as { holderIdentity: string; leaseTransitions: number };
  assert.equal(spec.holderIdentity, 'b');
  assert.equal(spec.leaseTransitions, 1);
});

test('a leader that shuts down releases the lease, and the next one leads at once', async () => {
  const api = new FakeApi();
  const slow = { leaseDurationSeconds: 30, retryPeriodMs: 20, renewDeadlineMs: 150 };
  const stopA = new AbortController();
  let aLed = false;
  const aRun = runWithLeaderElection(api, { name: 'ctrl', identity: 'a', ...slow }, stopA.signal, async (leading) => {
    aLed = true;
    await new Promise((r) => leading.addEventListener('abort', r, { once: true }));
  });
  while (!aLed) await new Promise((r) => setTimeout(r, 5));
  stopA.abort();
  await aRun;
  const t0 = Date.now();
  const b = new LeaderElection(api, { name: 'ctrl', identity: 'b', ...slow });
  assert.equal(await b.acquire(new AbortController().signal), true);
  assert.ok(Date.now() - t0 < 1000, 'no 30 s wait after a release');
});
