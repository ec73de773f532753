import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../../src/agent/pods/backoff.js';

test('restart back-off: first restart at once, then 10 s doubling to 5 min, measured from the exit', () => {
  let now = 1_000_000;
  const b = new Backoff(10_000, 300_000, () => now);
  assert.equal(b.remaining('pod/c'), 0, 'a container that never crashed restarts at once');
  b.next('pod/c');
  assert.equal(b.delayMs('pod/c'), 10_000);
  const exitedAt = now + 2000;
  now += 5000;
  assert.equal(b.remaining('pod/c', exitedAt), 7000, '10 s counted from the exit');
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    now += b.delayMs('pod/c');
    b.next('pod/c');
    delays.push(b.delayMs('pod/c'));
  }
  assert.deepEqual(delays, [20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000]);
});

test('restart back-off is forgotten after running twice the cap, and per pod on forgetPrefix', () => {
  let now = 0;
  const b = new Backoff(10_000, 300_000, () => now);
  b.next('u1/a');
  b.next('u1/a');
  b.next('u2/a');
  now += 600_001;
  assert.equal(b.remaining('u1/a'), 0);
  b.next('u1/a');
  assert.equal(b.delayMs('u1/a'), 10_000, 'starts over at 10 s');
  b.forgetPrefix('u2/');
  assert.equal(b.delayMs('u2/a'), 0);
});
