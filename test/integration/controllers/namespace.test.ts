import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNotFound } from '../../../src/client/types.js';
import { NamespaceController } from '../../../src/controllers/namespace.js';
import { ServiceAccountController } from '../../../src/controllers/service-account.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from './harness.js';

const NS = { group: '', version: 'v1', resource: 'namespaces' };
const CA = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';

describe('namespace and service account controllers', () => {
  test('a new namespace gets its default ServiceAccount and kube-root-ca.crt, restored when deleted', async (t) => {
    const client = await startControllers(t, () => [new ServiceAccountController(CA), new NamespaceController()]);
    await client.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    const sa = { group: '', version: 'v1', resource: 'serviceaccounts', namespace: 'shop' };
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespace: 'shop' };
    await waitFor('default service account', () => client.get(sa, 'default'));
    const cm = await waitFor('root CA configmap', () => client.get(cms, 'kube-root-ca.crt'));
    assert.deepEqual(cm.data, { 'ca.crt': CA });
    await client.delete(sa, 'default');
    await waitFor('default service account back', () => client.get(sa, 'default'));
    await client.patch(cms, 'kube-root-ca.crt', 'merge', { data: { 'ca.crt': 'tampered' } });
    await waitFor('root CA restored', async () => ((await client.get(cms, 'kube-root-ca.crt')).data as Record<string, string>)['ca.crt'] === CA);
  });

  test('deleting a namespace empties it, then removes it', async (t) => {
    const client = await startControllers(t, () => [new ServiceAccountController(CA), new NamespaceController()]);
    await client.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'temp' } });
    const cms = { group: '', version: 'v1', resource: 'configmaps', namespace: 'temp' };
    const deploys = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'temp' };
    await client.create(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } });
    await client.create(deploys, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });
    await client.delete(NS, 'temp');
    const terminating = await client.get(NS, 'temp').catch(() => undefined);
    if (terminating) assert.equal((terminating.status as { phase: string }).phase, 'Terminating');
    await waitFor('namespace gone', async () => {
      try {
        await client.get(NS, 'temp');
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, 15_000);
    assert.equal((await client.list(cms)).items.length, 0);
    assert.equal((await client.list(deploys)).items.length, 0);
  });
});
