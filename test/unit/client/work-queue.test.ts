import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkQueue } from '../../../src/client/work-queue.js';

test('a key added many times before a worker takes it is reconciled once', async () => {
  const queue = new WorkQueue();
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) queue.add('ns/a');
  queue.add('ns/b');
  const ac = new AbortController();
  const running = queue.run(1, async (key) => {
    seen.push(key);
    if (seen.length === 2) ac.abort();
  }, ac.signal);
  await running;
  assert.deepEqual(seen, ['ns/a', 'ns/b']);
});

test('a key re-added while being processed runs again afterwards, never concurrently', async () => {
  const queue = new WorkQueue();
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  const ac = new AbortController();
  queue.add('k');
  await queue.run(4, async (key) => {
    active++;
    maxActive = Math.max(maxActive, active);
    runs++;
    if (runs === 1) queue.add(key); // re-added mid-flight
    await new Promise((r) => setTimeout(r, 10));
    active--;
    if (runs === 2) ac.abort();
  }, ac.signal);
  assert.equal(runs, 2);
  assert.equal(maxActive, 1);
});

test('a failing reconcile is retried with growing backoff, and success resets it', async () => {
  const queue = new WorkQueue({ baseMs: 5 });
  const times: number[] = [];
  const ac = new AbortController();
  queue.add('x');
  const errors: unknown[] = [];
  await queue.run(1, async () => {
    times.push(Date.now());
    if (times.length < 4) throw new Error('not yet');
    ac.abort();
  }, ac.signal, (_key, err) => errors.push(err));
  assert.equal(errors.length, 3);
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  // 5, 10, 20 ms nominal: each retry waits at least its backoff.
  assert.ok((gaps[0] as number) >= 4 && (gaps[2] as number) >= 18, `gaps ${gaps.join(',')}`);
  assert.equal(queue.retries('x'), 0);
});
