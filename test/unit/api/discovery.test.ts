import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Catalogue,
  aggregatedDiscovery,
  apiGroupList,
  apiResourceList,
  apiVersions,
  storageVersionHash,
} from '../../../src/api/index.js';

const catalogue = new Catalogue();

interface AggResource {
  resource: string;
  responseKind: { group: string; version: string; kind: string };
  scope: string;
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: { subresource: string; responseKind: { kind: string; group: string }; verbs: string[] }[];
}
interface AggGroup {
  metadata: { name?: string };
  versions: { version: string; resources: AggResource[]; freshness: string }[];
}

test('aggregated /api holds only the core group with every resource carrying a responseKind', () => {
  const doc = aggregatedDiscovery(catalogue, true) as { apiVersion: string; kind: string; items: AggGroup[] };
  assert.equal(doc.kind, 'APIGroupDiscoveryList');
  assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.equal(doc.items.length, 1);
  const v1 = doc.items[0]?.versions[0];
  assert.equal(v1?.version, 'v1');
  assert.equal(v1?.freshness, 'Current');
  const pods = v1?.resources.find((r) => r.resource === 'pods');
  assert.deepEqual(pods?.responseKind, { group: '', version: 'v1', kind: 'Pod' });
  assert.equal(pods?.scope, 'Namespaced');
  assert.equal(pods?.singularResource, 'pod');
  assert.deepEqual(pods?.shortNames, ['po']);
  assert.deepEqual(pods?.categories, ['all']);
  const eviction = pods?.subresources?.find((s) => s.subresource === 'eviction');
  assert.deepEqual(eviction?.responseKind, { group: 'policy', version: 'v1', kind: 'Eviction' });
  assert.equal(v1?.resources.find((r) => r.resource === 'nodes')?.scope, 'Cluster');
  for (const r of v1?.resources ?? []) assert.ok(r.responseKind.kind, `${r.resource} has a responseKind`);
  const names = v1?.resources.map((r) => r.resource) ?? [];
  assert.deepEqual(names, [...names].sort());
});

test('aggregated /apis lists named groups only, in v2beta1 when asked', () => {
  const doc = aggregatedDiscovery(catalogue, false, 'v2beta1') as { apiVersion: string; items: AggGroup[] };
  assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2beta1');
  const names = doc.items.map((g) => g.metadata.name);
  assert.ok(!names.includes(undefined));
  assert.equal(names[0], 'apiregistration.k8s.io');
  const apps = doc.items.find((g) => g.metadata.name === 'apps');
  const deploy = apps?.versions[0]?.resources.find((r) => r.resource === 'deployments');
  assert.deepEqual(deploy?.subresources?.map((s) => s.subresource), ['scale', 'status']);
  assert.equal(deploy?.subresources?.[0]?.responseKind.kind, 'Scale');
});

test('legacy /api and /apis', () => {
  assert.deepEqual(apiVersions('127.0.0.1:6443'), {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
  });
  const list = apiGroupList(catalogue) as { groups: { name: string; preferredVersion: { groupVersion: string } }[] };
  const apps = list.groups.find((g) => g.name === 'apps');
  assert.deepEqual(apps, {
    name: 'apps',
    versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
    preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
  });
});

test('legacy resource lists name subresources after their parent, with foreign kinds qualified', () => {
  const list = apiResourceList(catalogue, 'apps', 'v1') as { groupVersion: string; resources: Record<string, unknown>[] };
  assert.equal(list.groupVersion, 'apps/v1');
  const names = list.resources.map((r) => r['name']);
  const at = names.indexOf('deployments');
  assert.deepEqual(names.slice(at, at + 3), ['deployments', 'deployments/scale', 'deployments/status']);
  assert.deepEqual(list.resources[at + 1], {
    name: 'deployments/scale',
    singularName: '',
    namespaced: true,
    group: 'autoscaling',
    version: 'v1',
    kind: 'Scale',
    verbs: ['get', 'patch', 'update'],
  });
  assert.equal(list.resources[at]?.['storageVersionHash'], '8aSe+NMegvE=');
  assert.equal(apiResourceList(catalogue, 'apps', 'v9'), undefined);
  const core = apiResourceList(catalogue, '', 'v1') as { groupVersion: string };
  assert.equal(core.groupVersion, 'v1');
});

test('events.k8s.io events hash as the core Event they are stored as', () => {
  const list = apiResourceList(catalogue, 'events.k8s.io', 'v1') as { resources: Record<string, unknown>[] };
  assert.equal(list.resources[0]?.['storageVersionHash'], storageVersionHash({ group: '', version: 'v1', kind: 'Event' }));
});
