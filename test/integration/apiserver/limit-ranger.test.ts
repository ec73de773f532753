import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { ApiError } from '../../../src/client/types.js';
import { startHarness } from './harness.js';

const NS = 'default';
const LIMITS = { group: '', version: 'v1', resource: 'limitranges', namespace: NS };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS };
const CLAIMS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespace: NS };

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(name: string, containers: { name: string; resources?: Resources }[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: containers.map((c) => ({ image: 'busybox', ...c })) } };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ApiError, `refused: ${String(err)}`);
  assert.equal(err.code, 403);
  assert.equal(err.reason, 'Forbidden');
  return err;
}

describe('LimitRanger admission', () => {
  test('fills container defaults, records them, and enforces min, max and the limit/request ratio', async (t) => {
    const harness = await startHarness(t);
    const client = harness.server.loopback();
    await client.create(LIMITS, {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'limits' },
      spec: {
        limits: [
          { type: 'Container', default: { cpu: '400m', memory: '256Mi' }, defaultRequest: { cpu: '100m' }, min: { cpu: '50m' }, max: { cpu: '1', memory: '1Gi' }, maxLimitRequestRatio: { cpu: '4' } },
          { type: 'Pod', max: { memory: '1536Mi' } },
        ],
      },
    });
    // defaultRequest for memory comes from default (LimitRange defaulting), as upstream.
    const created = await client.create(PODS, pod('defaults', [{ name: 'app' }, { name: 'side', resources: { limits: { cpu: '200m' } } }]));
    const containers = (created['spec'] as { containers: { resources: Resources }[] }).containers;
    assert.deepEqual(containers[0]?.resources, { limits: { cpu: '400m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    // A limit the user gave is kept, and its request follows it (pod defaulting), not defaultRequest.
    assert.deepEqual(containers[1]?.resources, { limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '200m', memory: '256Mi' } });
    assert.equal(created.metadata?.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; memory request for container side; memory limit for container side');

    const tooBig = await refusal(client.create(PODS, pod('big', [{ name: 'app', resources: { limits: { cpu: '2' }, requests: { cpu: '1' } } }])));
    assert.equal(tooBig.message, 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
    const several = await refusal(client.create(PODS, pod('small', [{ name: 'app', resources: { requests: { cpu: '10m' }, limits: { cpu: '800m' } } }])));
    assert.equal(several.message, 'pods "small" is forbidden: [minimum cpu usage per Container is 50m, but request is 10m, cpu max limit to request ratio per Container is 4, but provided ratio is 80.000000]');
    const podMax = await refusal(client.create(PODS, pod('wide', [{ name: 'a', resources: { limits: { memory: '1Gi' } } }, { name: 'b', resources: { limits: { memory: '1Gi' } } }])));
    assert.equal(podMax.message, 'pods "wide" is forbidden: maximum memory usage per Pod is 1536Mi, but limit is 2Gi');
  });

  test('claims are held to the PersistentVolumeClaim storage bounds', async (t) => {
    const harness = await startHarness(t);
    const client = harness.server.loopback();
    await client.create(LIMITS, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'storage' }, spec: { limits: [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }] } });
    const claim = (name: string, storage: string): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } });
    await client.create(CLAIMS, claim('ok', '5Gi'));
    const small = await refusal(client.create(CLAIMS, claim('small', '500Mi')));
    assert.equal(small.message, 'persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
    const big = await refusal(client.create(CLAIMS, claim('big', '20Gi')));
    assert.equal(big.message, 'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi');
  });
});
