import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { ApiError, type ApiClient } from '../../../src/client/types.js';
import { ReplicaSetController } from '../../../src/controllers/replicaset.js';
import { ResourceQuotaController } from '../../../src/controllers/resource-quota.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from './harness.js';

const NS = 'default';
const QUOTAS = { group: '', version: 'v1', resource: 'resourcequotas', namespace: NS };
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS };
const SERVICES = { group: '', version: 'v1', resource: 'services', namespace: NS };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespace: NS };
const RS = { group: 'apps', version: 'v1', resource: 'replicasets', namespace: NS };

type Status = { hard?: Record<string, string>; used?: Record<string, string> };

function pod(name: string, resources?: Record<string, unknown>, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...(labels ? { labels } : {}) }, spec: { containers: [{ name: 'app', image: 'busybox', ...(resources ? { resources } : {}) }] } };
}

async function usedIs(client: ApiClient, name: string, want: Record<string, string>): Promise<Status> {
  let last: Status = {};
  return waitFor(`quota ${name} used ${JSON.stringify(want)}`, async () => {
    last = ((await client.get(QUOTAS, name)).status ?? {}) as Status;
    return Object.entries(want).every(([k, v]) => last.used?.[k] === v) ? last : undefined;
  }, 15_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(last)}`);
  });
}

async function refused(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ApiError, `refused: ${String(err)}`);
  return err;
}

describe('resource quota controller and admission', () => {
  test('status mirrors hard and counts usage; admission charges, refuses with upstream messages, and deletions give back', async (t) => {
    const client = await startControllers(t, () => [new ResourceQuotaController()]);
    await client.create(QUOTAS, {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute' },
      spec: { hard: { pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '2', 'limits.memory': '2Gi' } },
    });
    const first = await usedIs(client, 'compute', { pods: '0', 'requests.cpu': '0' });
    assert.deepEqual(first.hard, { 'limits.cpu': '2', 'limits.memory': '2Gi', pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi' });

    const missing = await refused(client.create(PODS, pod('bare')));
    assert.equal(missing.code, 403);
    assert.equal(missing.message, 'pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: app; limits.memory for: app; requests.cpu for: app; requests.memory for: app');

    await client.create(PODS, pod('one', { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } }));
    await usedIs(client, 'compute', { pods: '1', 'requests.cpu': '500m', 'requests.memory': '512Mi' });

    const over = await refused(client.create(PODS, pod('two', { requests: { cpu: '600m', memory: '100Mi' }, limits: { cpu: '600m', memory: '100Mi' } })));
    assert.equal(over.code, 403);
    assert.equal(over.reason, 'Forbidden');
    assert.equal(over.message, 'pods "two" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1');

    await client.create(PODS, pod('three', { requests: { cpu: '0.25', memory: '256Mi' }, limits: { cpu: '250m', memory: '256Mi' } }));
    await usedIs(client, 'compute', { pods: '2', 'requests.cpu': '750m', 'requests.memory': '768Mi', 'limits.cpu': '1250m', 'limits.memory': '1280Mi' });
    const full = await refused(client.create(PODS, pod('four', { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '1m', memory: '1Mi' } })));
    assert.equal(full.message, 'pods "four" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2');

    // A pod that finished (or is deleted) no longer counts.
    await client.patch(PODS, 'three', 'merge', { status: { phase: 'Succeeded' } }, { subresource: 'status' });
    await client.delete(PODS, 'one');
    await usedIs(client, 'compute', { pods: '0', 'requests.cpu': '0', 'requests.memory': '0' });
    await client.create(PODS, pod('five', { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } }));

    // Raising hard is reflected in status.hard.
    await client.patch(QUOTAS, 'compute', 'merge', { spec: { hard: { pods: '10' } } });
    await waitFor('hard raised', async () => (((await client.get(QUOTAS, 'compute')).status ?? {}) as Status).hard?.['pods'] === '10', 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const rv = (await client.get(QUOTAS, 'compute')).metadata?.resourceVersion;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await client.get(QUOTAS, 'compute')).metadata?.resourceVersion, rv, 'no status rewrites when nothing changed');
  });

  test('object counts, node ports and load balancers', async (t) => {
    const client = await startControllers(t, () => [new ResourceQuotaController()]);
    await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before' } });
    await client.create(QUOTAS, {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'objects' },
      spec: { hard: { 'count/configmaps': '2', services: '5', 'services.nodeports': '2', 'services.loadbalancers': '0', 'count/deployments.apps': '1' } },
    });
    // The kubernetes Service lives in default.
    await usedIs(client, 'objects', { 'count/configmaps': '1', services: '1', 'services.nodeports': '0', 'count/deployments.apps': '0' });
    await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' } });
    const cm = await refused(client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'third' } }));
    assert.equal(cm.message, 'configmaps "third" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2');

    const lb = await refused(client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } }));
    assert.match(lb.message, /^services "lb" is forbidden: exceeded quota: objects, requested: services\.loadbalancers=1, used: services\.loadbalancers=0, limited: services\.loadbalancers=0$/);
    const np = await refused(client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80, name: 'a' }, { port: 81, name: 'b' }, { port: 82, name: 'c' }] } }));
    assert.equal(np.message, 'services "np" is forbidden: exceeded quota: objects, requested: services.nodeports=3, used: services.nodeports=0, limited: services.nodeports=2');
    await client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
    // Growing a Service into a NodePort one is charged too.
    await client.patch(SERVICES, 'web', 'merge', { spec: { type: 'NodePort' } });
    await usedIs(client, 'objects', { services: '2', 'services.nodeports': '1' });
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
    await client.create({ group: 'apps', version: 'v1', resource: 'deployments', namespace: NS }, { ...deployment, metadata: { name: 'd1' } });
    const d2 = await refused(client.create({ group: 'apps', version: 'v1', resource: 'deployments', namespace: NS }, { ...deployment, metadata: { name: 'd2' } }));
    assert.match(d2.message, /^deployments\.apps "d2" is forbidden: exceeded quota: objects, requested: count\/deployments\.apps=1/);
  });

  test('a ReplicaSet stops at the quota and reports FailedCreate', async (t) => {
    const client = await startControllers(t, () => [new ResourceQuotaController(), new ReplicaSetController()]);
    await client.create(QUOTAS, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'two-pods' }, spec: { hard: { pods: '2' } } });
    await usedIs(client, 'two-pods', { pods: '0' });
    await client.create(RS, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });
    const event = await waitFor('FailedCreate', async () => {
      const events = await client.list({ group: '', version: 'v1', resource: 'events', namespace: NS }, { fieldSelector: 'involvedObject.name=web' });
      return events.items.find((e) => e['reason'] === 'FailedCreate');
    }, 15_000);
    assert.match(String(event['message']), /^Error creating: pods "web-[a-z0-9]{5}" is forbidden: exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2$/);
    assert.equal((await client.list(PODS, { labelSelector: 'app=web' })).items.length, 2);
  });
  test('a 60-replica ReplicaSet under a quota creates every pod without conflicts (charges are serialised per namespace)', async (t) => {
    const client = await startControllers(t, () => [new ResourceQuotaController(), new ReplicaSetController()]);
    await client.create(QUOTAS, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'many' }, spec: { hard: { pods: '100', 'count/pods': '100' } } });
    await usedIs(client, 'many', { pods: '0' });
    const t0 = Date.now();
    await client.create(RS, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'wide' }, spec: { replicas: 60, selector: { matchLabels: { app: 'wide' } }, template: { metadata: { labels: { app: 'wide' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });
    await waitFor('60 pods', async () => (await client.list(PODS, { labelSelector: 'app=wide' })).items.length === 60, 30_000);
    console.log(`60 pods under a quota in ${Date.now() - t0} ms`);
    await usedIs(client, 'many', { pods: '60', 'count/pods': '60' });
    const events = await client.list({ group: '', version: 'v1', resource: 'events', namespace: NS }, { fieldSelector: 'involvedObject.name=wide' });
    assert.deepEqual(events.items.filter((e) => e['reason'] === 'FailedCreate').map((e) => e['message']), []);
  });
});
