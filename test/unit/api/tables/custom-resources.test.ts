import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customResourceTable, evaluateJsonPath, parseJsonPath, printerColumnsOf } from '../../../../src/api/tables/index.js';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();

const crd = {
  spec: {
    versions: [
      {
        name: 'v1',
        additionalPrinterColumns: [
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired replicas' },
          { name: 'Image', type: 'string', jsonPath: '.spec.containers[0].image', priority: 1 },
          { name: 'Labels', type: 'string', jsonPath: '.metadata.labels' },
          { name: 'App', type: 'string', jsonPath: ".metadata.labels['app.kubernetes.io/name']" },
          { name: 'Started', type: 'date', jsonPath: '.status.startTime' },
          { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
        ],
      },
      { name: 'v2' },
    ],
  },
};

test('custom resources print NAME then their printer columns, typed as declared', () => {
  const table = customResourceTable(printerColumnsOf(crd, 'v1'));
  assert.deepEqual(
    table.columns.map((c) => [c.name, c.type, c.priority]),
    [['Name', 'string', 0], ['Ready', 'string', 0], ['Replicas', 'integer', 0], ['Image', 'string', 1], ['Labels', 'string', 0], ['App', 'string', 0], ['Started', 'date', 0], ['Paused', 'boolean', 0]],
  );
  assert.equal(table.columns[1]?.description, 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status');
  assert.equal(table.columns[2]?.description, 'Desired replicas');
  const object = {
    metadata: { name: 'db', labels: { tier: 'data', 'app.kubernetes.io/name': 'pg' } },
    spec: { replicas: 3, containers: [{ image: 'postgres:16' }], paused: 'no' },
    status: { startTime: ago(7200), conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
  };
  assert.deepEqual(table.row(object, now), ['db', 'True', 3, 'postgres:16', '{"app.kubernetes.io/name":"pg","tier":"data"}', 'pg', '120m', null]);
  assert.deepEqual(table.row({ metadata: { name: 'empty' } }, now), ['empty', null, null, null, null, null, null, null]);
});

test('versions without printer columns show AGE', () => {
  const table = customResourceTable(printerColumnsOf(crd, 'v2'));
  assert.deepEqual(table.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(table.row({ metadata: { name: 'x', creationTimestamp: ago(45) } }, now), ['x', '45s']);
});

test('JSONPath: fields, indexes, wildcards, recursion, filters and escaped dots', () => {
  const doc = { a: { 'b.c': 1, list: [{ n: 1, k: 'x' }, { n: 2, k: 'y' }] }, d: { n: 3 } };
  const eval_ = (p: string): unknown[] => evaluateJsonPath(parseJsonPath(p), doc);
  assert.deepEqual(eval_('{.a.list[1].n}'), [2]);
  assert.deepEqual(eval_('.a.list[-1].k'), ['y']);
  assert.deepEqual(eval_('.a.list[*].n'), [1, 2]);
  assert.deepEqual(eval_('.a.b\\.c'), [1]);
  assert.deepEqual(eval_(".a['b.c']"), [1]);
  assert.deepEqual(eval_('.a.list[?(@.k=="y")].n'), [2]);
  assert.deepEqual(eval_('.a.list[?(@.n!=1)].k'), ['y']);
  assert.deepEqual(eval_('..n'), [1, 2, 3]);
  assert.deepEqual(eval_('.missing.deeper'), []);
  assert.throws(() => customResourceTable([{ name: 'X', type: 'string', jsonPath: '.a[?(@.k ~ 1)]' }]), /unrecognized column definition/);
});
