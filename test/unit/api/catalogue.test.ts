import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogue } from '../../../src/api/index.js';

const catalogue = new Catalogue();

test('looks resources up by plural, singular and short name', () => {
  assert.equal(catalogue.lookup('apps', 'v1', 'deployments')?.kind, 'Deployment');
  assert.equal(catalogue.lookup('apps', 'v1', 'deployment')?.resource, 'deployments');
  assert.equal(catalogue.lookup('apps', 'v1', 'deploy')?.resource, 'deployments');
  assert.equal(catalogue.lookup('', 'v1', 'po')?.kind, 'Pod');
  assert.equal(catalogue.lookup('', 'v1', 'deployments'), undefined);
  assert.equal(catalogue.lookup('apiextensions.k8s.io', 'v1', 'crds')?.kind, 'CustomResourceDefinition');
});

test('finds resources by group, version and kind', () => {
  const rs = catalogue.byKind({ group: 'apps', version: 'v1', kind: 'ReplicaSet' });
  assert.equal(rs?.listKind, 'ReplicaSetList');
  assert.equal(rs?.definition, 'io.k8s.api.apps.v1.ReplicaSet');
  assert.equal(catalogue.byKind({ group: 'events.k8s.io', version: 'v1', kind: 'Event' })?.storageResource, 'events');
  assert.equal(catalogue.byKind({ group: '', version: 'v1', kind: 'Event' })?.storageResource, 'events');
});

test('stores resources under upstream etcd key segments', () => {
  const storage = (g: string, r: string) => catalogue.lookup(g, 'v1', r)?.storageResource;
  assert.equal(storage('', 'services'), 'services/specs');
  assert.equal(storage('', 'endpoints'), 'services/endpoints');
  assert.equal(storage('', 'nodes'), 'minions');
  assert.equal(storage('', 'replicationcontrollers'), 'controllers');
  assert.equal(storage('networking.k8s.io', 'ingresses'), 'ingress');
  assert.equal(storage('apps', 'deployments'), 'deployments');
  assert.equal(storage('authorization.k8s.io', 'selfsubjectaccessreviews'), '');
  assert.equal(storage('', 'componentstatuses'), '');
});

test('declares subresources with their response kinds', () => {
  const pods = catalogue.lookup('', 'v1', 'pods');
  const sub = (name: string) => pods?.subresources.find((s) => s.name === name);
  assert.deepEqual(sub('eviction')?.kind, { group: 'policy', version: 'v1', kind: 'Eviction' });
  assert.deepEqual(sub('status')?.kind, { group: '', version: 'v1', kind: 'Pod' });
  assert.deepEqual(sub('exec')?.verbs, ['create', 'get']);
  const scale = catalogue.lookup('apps', 'v1', 'statefulsets')?.subresources.find((s) => s.name === 'scale');
  assert.deepEqual(scale?.kind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  const token = catalogue.lookup('', 'v1', 'serviceaccounts')?.subresources.find((s) => s.name === 'token');
  assert.equal(token?.kind.group, 'authentication.k8s.io');
  assert.equal(pods?.hasStatus, true);
  assert.equal(catalogue.lookup('', 'v1', 'configmaps')?.hasStatus, false);
});

test('marks what "kubectl get all" shows', () => {
  const all = catalogue.all().filter((r) => r.categories.includes('all')).map((r) => r.resource);
  assert.deepEqual(all.sort(), [
    'cronjobs', 'daemonsets', 'deployments', 'horizontalpodautoscalers', 'jobs', 'pods', 'replicasets',
    'replicationcontrollers', 'services', 'statefulsets',
  ]);
});

test('lists groups core first with the preferred version', () => {
  const groups = catalogue.groups();
  assert.deepEqual(groups[0], { name: '', versions: ['v1'], preferredVersion: 'v1' });
  assert.equal(groups[1]?.name, 'apiregistration.k8s.io');
  assert.equal(groups[2]?.name, 'apps');
  assert.ok(groups.some((g) => g.name === 'autoscaling' && g.preferredVersion === 'v2'));
});

test('create-only review resources allow only create', () => {
  for (const r of ['selfsubjectaccessreviews', 'subjectaccessreviews', 'selfsubjectrulesreviews']) {
    assert.deepEqual(catalogue.lookup('authorization.k8s.io', 'v1', r)?.verbs, ['create']);
  }
  assert.equal(catalogue.lookup('authorization.k8s.io', 'v1', 'localsubjectaccessreviews')?.namespaced, true);
});

test('custom resources can be added and removed; clashes are refused', () => {
  const c = new Catalogue();
  const base = c.lookup('', 'v1', 'configmaps');
  assert.ok(base);
  const widget = { ...base, group: 'example.com', version: 'v1', kind: 'Widget', listKind: 'WidgetList', resource: 'widgets', singular: 'widget', shortNames: ['wd'] };
  c.add(widget);
  assert.equal(c.lookup('example.com', 'v1', 'wd'), widget);
  assert.throws(() => c.add(widget), /already served/);
  assert.ok(c.groups().some((g) => g.name === 'example.com'));
  c.remove('example.com', 'v1', 'widgets');
  assert.equal(c.lookup('example.com', 'v1', 'widgets'), undefined);
  assert.ok(!c.groups().some((g) => g.name === 'example.com'));
});

test('pod field selectors answer empty strings for unset fields', () => {
  const pods = catalogue.lookup('', 'v1', 'pods');
  const nodeName = pods?.fieldSelectors?.['spec.nodeName'];
  assert.equal(nodeName?.({ spec: {} }), '');
  assert.equal(nodeName?.({ spec: { nodeName: 'n1' } }), 'n1');
  assert.equal(pods?.fieldSelectors?.['spec.hostNetwork']?.({ spec: {} }), 'false');
});
