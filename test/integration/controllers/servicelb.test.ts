import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import { ServiceLbController } from '../../../src/controllers/servicelb.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from './harness.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const SERVICES = { group: '', version: 'v1', resource: 'services', namespace: 'default' };
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: 'default' };

async function node(client: ApiClient, name: string, ip: string, ready = true): Promise<void> {
  await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  await setNode(client, name, ip, ready);
}

async function setNode(client: ApiClient, name: string, ip: string, ready: boolean): Promise<void> {
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  await client.patch(NODES, name, 'merge', {
    status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] },
  }, { subresource: 'status' });
}

function lb(name: string, port: number, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port, targetPort: 8080, protocol: 'TCP' }], ...extra } };
}

async function ingress(client: ApiClient, name: string): Promise<string[]> {
  const svc = await client.get(SERVICES, name);
  return ((svc.status as { loadBalancer?: { ingress?: { ip: string }[] } } | undefined)?.loadBalancer?.ingress ?? []).map((i) => i.ip);
}

async function reasons(client: ApiClient, name: string): Promise<string[]> {
  const list = await client.list(EVENTS);
  return list.items.filter((e) => (e['involvedObject'] as { name: string }).name === name).map((e) => `${e['reason']}: ${e['message']}`);
}

describe('servicelb controller', () => {
  test('LoadBalancer Services get the ready nodes\' addresses, following nodes as they come, go and change', { timeout: 60_000 }, async (t) => {
    const client = await startControllers(t, () => [new ServiceLbController({ rootless: false })]);
    await node(client, 'n1', '192.0.2.10');
    await client.create(SERVICES, lb('web', 80));
    await waitFor('ingress from n1', async () => JSON.stringify(await ingress(client, 'web')) === '["192.0.2.10"]', 20_000);
    await node(client, 'n2', '192.0.2.11');
    await waitFor('ingress from both nodes', async () => JSON.stringify(await ingress(client, 'web')) === '["192.0.2.10","192.0.2.11"]', 20_000);
    await setNode(client, 'n1', '192.0.2.10', false);
    await waitFor('the not-ready node dropped', async () => JSON.stringify(await ingress(client, 'web')) === '["192.0.2.11"]', 20_000);
    await client.delete(NODES, 'n2');
    await waitFor('no address left', async () => (await ingress(client, 'web')).length === 0, 20_000);
    const events = await waitFor('events', async () => {
      const r = await reasons(client, 'web');
      return r.some((e) => e.startsWith('UnAvailableLoadBalancer')) ? r : undefined;
    }, 20_000);
    assert.ok(events.includes('UpdatedLoadBalancer: Updated LoadBalancer with new IPs: [] -> [192.0.2.10]'), events.join('\n'));
    assert.ok(events.includes('UnAvailableLoadBalancer: There are no available nodes for LoadBalancer'), events.join('\n'));
  });

  test('a Service of another loadBalancerClass is left alone; one that stops being a LoadBalancer loses its address', { timeout: 60_000 }, async (t) => {
    const client = await startControllers(t, () => [new ServiceLbController({ rootless: false })]);
    await node(client, 'n1', '192.0.2.10');
    await client.create(SERVICES, lb('other', 81, { loadBalancerClass: 'example.com/lb' }));
    await client.create(SERVICES, lb('web', 80));
    await waitFor('web served', async () => (await ingress(client, 'web')).length === 1, 20_000);
    assert.deepEqual(await ingress(client, 'other'), []);
    await client.patch(SERVICES, 'web', 'merge', { spec: { type: 'ClusterIP' } });
    await waitFor('address removed', async () => (await ingress(client, 'web')).length === 0, 20_000);
  });

  test('two Services on one port: the second stays pending with an event, and gets the port when the first goes', { timeout: 60_000 }, async (t) => {
    const client = await startControllers(t, () => [new ServiceLbController({ rootless: true })]);
    await node(client, 'n1', '192.0.2.10');
    await client.create(SERVICES, lb('first', 8000));
    await waitFor('first served (rootless: loopback)', async () => JSON.stringify(await ingress(client, 'first')) === '["127.0.0.1"]', 20_000);
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has one-second resolution
    await client.create(SERVICES, lb('second', 8000));
    const events = await waitFor('conflict event', async () => {
      const r = await reasons(client, 'second');
      return r.find((e) => e.startsWith('LoadBalancerPortInUse'));
    }, 20_000);
    assert.equal(events, 'LoadBalancerPortInUse: port 8000/TCP is already used by LoadBalancer service default/first on every node; this service stays pending until that port is free');
    assert.deepEqual(await ingress(client, 'second'), []);
    await client.delete(SERVICES, 'first');
    await waitFor('second served once the port is free', async () => JSON.stringify(await ingress(client, 'second')) === '["127.0.0.1"]', 20_000);
  });
});
