import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { EndpointsController } from '../../../src/controllers/endpoints.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from './harness.js';

const SVC = { group: '', version: 'v1', resource: 'services', namespace: 'default' };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };
const EP = { group: '', version: 'v1', resource: 'endpoints', namespace: 'default' };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: 'default' };

async function runningPod(client: ApiClient, name: string, ip: string, ready: boolean): Promise<KubeObject> {
  const pod = await client.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  await client.patch(PODS, name, 'merge', { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, { subresource: 'status' });
  return pod;
}

describe('endpoints controller', () => {
  test('a service selects pods: ready ones in addresses, the others not ready; named target ports resolved; slices owned by the service', async (t) => {
    const client = await startControllers(t, () => [new EndpointsController()]);
    await runningPod(client, 'web-1', '10.42.0.11', true);
    await runningPod(client, 'web-2', '10.42.0.12', false);
    const svc: KubeObject = await client.create<KubeObject>(SVC, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    const ep = await waitFor('endpoints', async () => {
      const e = await client.get(EP, 'web').catch(() => undefined);
      return e?.subsets ? e : undefined;
    });
    const subsets = ep.subsets as { addresses: { ip: string; targetRef: { name: string } }[]; notReadyAddresses: { ip: string }[]; ports: unknown[] }[];
    assert.equal(subsets.length, 1);
    assert.deepEqual(subsets[0]!.addresses.map((a) => a.ip), ['10.42.0.11']);
    assert.equal(subsets[0]!.addresses[0]!.targetRef.name, 'web-1');
    assert.deepEqual(subsets[0]!.notReadyAddresses.map((a) => a.ip), ['10.42.0.12']);
    assert.deepEqual(subsets[0]!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);

    const slices = await waitFor('a slice', async () => {
      const l = await client.list(SLICES, { labelSelector: 'kubernetes.io/service-name=web' });
      return l.items.length === 1 ? l.items : undefined;
    });
    const slice = slices[0]!;
    assert.equal(slice.addressType, 'IPv4');
    assert.equal(slice.metadata?.ownerReferences?.[0]?.uid, svc.metadata?.uid);
    const endpoints = slice.endpoints as { addresses: string[]; conditions: { ready: boolean } }[];
    assert.deepEqual(endpoints.map((e) => [e.addresses[0], e.conditions.ready]), [['10.42.0.11', true], ['10.42.0.12', false]]);

    // The second pod becomes ready; the first goes away.
    await client.patch(PODS, 'web-2', 'merge', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
    await client.delete(PODS, 'web-1', { gracePeriodSeconds: 0 });
    await waitFor('endpoints follow', async () => {
      const e = await client.get(EP, 'web');
      const s = (e.subsets as { addresses?: { ip: string }[]; notReadyAddresses?: unknown[] }[] | undefined) ?? [];
      return s.length === 1 && JSON.stringify(s[0]!.addresses?.map((a) => a.ip)) === '["10.42.0.12"]' && !s[0]!.notReadyAddresses;
    });
    await client.delete(SVC, 'web');
    await waitFor('endpoints removed with the service', async () => !(await client.list(EP)).items.some((e) => e.metadata?.name === 'web'));
  });
});
