import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { canonicalQuantity, formatMilli, matchesScopes, missingStatements, targetsFor, toMilli, usageOf } from '../../../src/quota/index.js';

describe('quota quantities', () => {
  test('parse exactly into milli-units, rounding fractions of a milli up', () => {
    assert.equal(toMilli('250m'), 250n);
    assert.equal(toMilli('0.1'), 100n);
    assert.equal(toMilli('1.5Gi'), 1610612736000n);
    assert.equal(toMilli('10Ti'), 10995116277760000n);
    assert.equal(toMilli('1e3'), 1000000n);
    assert.equal(toMilli('100M'), 100000000000n);
    assert.equal(toMilli('1n'), 1n);
    assert.equal(toMilli(3), 3000n);
    assert.equal(toMilli('abc'), undefined);
    assert.equal(toMilli('.'), undefined);
  });

  test('print in the canonical form kubectl shows', () => {
    assert.equal(formatMilli(750n, 'requests.cpu'), '750m');
    assert.equal(formatMilli(2000n, 'limits.cpu'), '2');
    assert.equal(formatMilli(toMilli('768Mi')!, 'requests.memory'), '768Mi');
    assert.equal(formatMilli(toMilli('200M')!, 'memory'), '200M');
    assert.equal(formatMilli(toMilli('1Gi')! + toMilli('1Gi')!, 'requests.storage'), '2Gi');
    assert.equal(formatMilli(2048000n, 'pods'), '2048', 'counts never take suffixes');
    assert.equal(formatMilli(0n, 'requests.memory'), '0');
    assert.equal(canonicalQuantity('1000m', 'cpu'), '1');
    assert.equal(canonicalQuantity('0.5', 'requests.cpu'), '500m');
  });
});

const pod = (spec: Record<string, unknown>, phase?: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec, ...(phase ? { status: { phase } } : {}) });

describe('quota usage', () => {
  test('a pod counts its requests (limits where unset), init containers by the max, and nothing once finished', () => {
    const p = pod({
      containers: [{ name: 'a', resources: { requests: { cpu: '100m' }, limits: { cpu: '200m', memory: '64Mi' } } }, { name: 'b', resources: { requests: { cpu: '50m', memory: '32Mi' } } }],
      initContainers: [{ name: 'i', resources: { requests: { cpu: '1' } } }],
    });
    const u = usageOf({ group: '', resource: 'pods' }, p);
    assert.equal(u.get('pods'), 1000n);
    assert.equal(u.get('count/pods'), 1000n);
    assert.equal(u.get('requests.cpu'), 1000n);
    assert.equal(u.get('cpu'), 1000n);
    assert.equal(u.get('requests.memory'), toMilli('96Mi'));
    assert.equal(u.get('limits.cpu'), 200n);
    assert.equal(usageOf({ group: '', resource: 'pods' }, pod({ containers: [] }, 'Succeeded')).size, 0);
  });

  test('services count node ports and load balancers; other kinds count by count/<resource>.<group>', () => {
    const lb = usageOf({ group: '', resource: 'services' }, { apiVersion: 'v1', kind: 'Service', spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } });
    assert.equal(lb.get('services.loadbalancers'), 1000n);
    assert.equal(lb.get('services.nodeports'), 2000n);
    assert.deepEqual([...usageOf({ group: 'apps', resource: 'deployments' }, { apiVersion: 'apps/v1', kind: 'Deployment' })], [['count/deployments.apps', 1000n]]);
    assert.deepEqual(usageOf({ group: '', resource: 'configmaps' }, { apiVersion: 'v1', kind: 'ConfigMap' }).get('configmaps'), 1000n);
    assert.deepEqual(targetsFor(['pods', 'requests.cpu', 'count/jobs.batch', 'services.nodeports', 'gold.storageclass.storage.k8s.io/requests.storage']).map((t) => `${t.resource}.${t.group}`).sort(), ['jobs.batch', 'persistentvolumeclaims.', 'pods.', 'services.']);
  });

  test('scopes select pods only; must-specify lists the containers without the resource', () => {
    const bestEffort = pod({ containers: [{ name: 'a' }] });
    const burst = pod({ containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }, { name: 'b' }], activeDeadlineSeconds: 30 });
    const target = { group: '', resource: 'pods' };
    assert.equal(matchesScopes({ scopes: ['BestEffort'] }, target, bestEffort), true);
    assert.equal(matchesScopes({ scopes: ['BestEffort'] }, target, burst), false);
    assert.equal(matchesScopes({ scopes: ['NotBestEffort', 'Terminating'] }, target, burst), true);
    assert.equal(matchesScopes({ scopes: ['BestEffort'] }, { group: '', resource: 'services' }, { apiVersion: 'v1', kind: 'Service' }), false);
    assert.deepEqual(Object.fromEntries(missingStatements(burst, ['requests.cpu', 'limits.memory', 'pods'])), { 'requests.cpu': ['b'], 'limits.memory': ['a', 'b'] });
  });
});
