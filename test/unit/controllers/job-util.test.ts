import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIndexes, matchFailurePolicy, parseIndexes, setJobCondition, successPolicyMet } from '../../../src/controllers/job-util.js';

describe('job completed indexes', () => {
  test('consecutive indexes collapse into ranges as the API shows them', () => {
    assert.equal(formatIndexes([4, 0, 1, 2, 7, 8, 2]), '0-2,4,7-8');
    assert.equal(formatIndexes([]), '');
  });
  test('the interval form parses back, ignoring indexes beyond completions and junk', () => {
    assert.deepEqual([...parseIndexes('0-2,4,7-8,x', 8)].sort((a, b) => a - b), [0, 1, 2, 4, 7]);
    assert.equal(parseIndexes(undefined, 3).size, 0);
  });
});

describe('job pod failure policy', () => {
  const failed = (code: number, name = 'c') => ({ status: { phase: 'Failed', containerStatuses: [{ name, state: { terminated: { exitCode: code } } }] } }) as never;
  test('the first rule matching an exit code wins', () => {
    const rules = [
      { action: 'Ignore' as const, onExitCodes: { operator: 'In' as const, values: [3] } },
      { action: 'FailJob' as const, onExitCodes: { operator: 'NotIn' as const, values: [3, 5] } },
    ];
    assert.equal(matchFailurePolicy(rules, failed(3))?.action, 'Ignore');
    assert.equal(matchFailurePolicy(rules, failed(42))?.action, 'FailJob');
    assert.equal(matchFailurePolicy(rules, failed(5)), undefined);
  });
  test('a containerName restricts the rule to that container', () => {
    const rules = [{ action: 'FailJob' as const, onExitCodes: { containerName: 'main', operator: 'In' as const, values: [1] } }];
    assert.equal(matchFailurePolicy(rules, failed(1, 'sidecar')), undefined);
    assert.equal(matchFailurePolicy(rules, failed(1, 'main'))?.action, 'FailJob');
  });
  test('pod conditions match rules too (DisruptionTarget)', () => {
    const pod = { status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True' }] } } as never;
    assert.equal(matchFailurePolicy([{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }], pod)?.action, 'Ignore');
  });
});

describe('job conditions', () => {
  test('the transition time moves only when the status flips', () => {
    let c = setJobCondition([], 'Suspended', 'True', 'JobSuspended', 'Job suspended', 't1');
    c = setJobCondition(c, 'Suspended', 'True', 'JobSuspended', 'Job suspended', 't2');
    assert.equal(c[0]?.lastTransitionTime, 't1');
    c = setJobCondition(c, 'Suspended', 'False', 'JobResumed', 'Job resumed', 't3');
    assert.equal(c.length, 1);
    assert.equal(c[0]?.lastTransitionTime, 't3');
  });
});

describe('job success policy', () => {
  test('a rule needs all its indexes, or succeededCount of them, or that many in total', () => {
    const done = new Set([0, 2, 3]);
    assert.equal(successPolicyMet([{ succeededIndexes: '0-1' }], done, 5), undefined);
    assert.equal(successPolicyMet([{ succeededIndexes: '0-1' }, { succeededIndexes: '2-3' }], done, 5), 1);
    assert.equal(successPolicyMet([{ succeededIndexes: '0-1', succeededCount: 1 }], done, 5), 0);
    assert.equal(successPolicyMet([{ succeededCount: 4 }], done, 5), undefined);
    assert.equal(successPolicyMet([{ succeededCount: 3 }], done, 5), 0);
    assert.equal(successPolicyMet(undefined, done, 5), undefined);
  });
});
