import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claimName, isRunningAndReady, ordinalOf } from '../../../src/controllers/statefulset-util.js';

describe('statefulset identity', () => {
  test('ordinals come only from names of the form <set>-<n>', () => {
    assert.equal(ordinalOf('web', 'web-0'), 0);
    assert.equal(ordinalOf('web', 'web-12'), 12);
    assert.equal(ordinalOf('web', 'web-01'), undefined);
    assert.equal(ordinalOf('web', 'web-x'), undefined);
    assert.equal(ordinalOf('web', 'webapp-1'), undefined);
    assert.equal(ordinalOf('my-set', 'my-set-3'), 3);
  });
  test('claims are named <template>-<set>-<ordinal>', () => {
    assert.equal(claimName({ metadata: { name: 'data' } }, 'web', 2), 'data-web-2');
  });
  test('OrderedReady waits for Running and Ready, not just Ready', () => {
    const ready = { type: 'Ready', status: 'True' };
    assert.equal(isRunningAndReady({ status: { phase: 'Running', conditions: [ready] } } as never), true);
    assert.equal(isRunningAndReady({ status: { phase: 'Pending', conditions: [ready] } } as never), false);
    assert.equal(isRunningAndReady({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } } as never), false);
  });
});
