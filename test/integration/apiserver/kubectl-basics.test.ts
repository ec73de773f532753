/**
 * The real kubectl against the API server on a real SQLite datastore (no k3s CLI): the basic
 * get/create/apply/delete path and the objects every cluster starts with.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kubectl } from '../../helpers/index.js';
import { startHarness } from './harness.js';

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  labels: {app: demo}
data:
  a: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
`;

test('a fresh server has the system namespaces and the kubernetes Service at the first service IP', async (t) => {
  const h = await startHarness(t);
  const ns = await kubectl(h.kube, ['get', 'namespaces', '-o', 'name']);
  assert.equal(ns.code, 0, ns.stderr);
  assert.deepEqual(ns.stdout.trim().split('\n').sort(), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
  const svc = await kubectl(h.kube, ['get', 'service', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[0].port} {.spec.ports[0].targetPort}']);
  assert.equal(svc.stdout, `10.43.0.1 443 ${h.server.port}`);
  const ep = await kubectl(h.kube, ['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}']);
  assert.equal(ep.stdout, `127.0.0.1:${h.server.port}`);
});

test('kubectl apply creates, re-apply updates, get prints tables, delete removes', async (t) => {
  const h = await startHarness(t);
  const file = join(h.dir, 'app.yaml');
  writeFileSync(file, MANIFEST);
  const created = await kubectl(h.kube, ['apply', '--validate=false', '-f', file]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'configmap/demo created\ndeployment.apps/web created\n');

  const table = await kubectl(h.kube, ['get', 'deployments']);
  assert.match(table.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/2\s+0\s+0\s+\d+s\n$/);

  writeFileSync(file, MANIFEST.replace('a: "1"', 'a: "2"'));
  const again = await kubectl(h.kube, ['apply', '--validate=false', '-f', file]);
  assert.equal(again.stdout, 'configmap/demo configured\ndeployment.apps/web unchanged\n');
  const value = await kubectl(h.kube, ['get', 'configmap', 'demo', '-o', 'jsonpath={.data.a}']);
  assert.equal(value.stdout, '2');

  const deleted = await kubectl(h.kube, ['delete', '-f', file]);
  assert.equal(deleted.code, 0, deleted.stderr);
  const none = await kubectl(h.kube, ['get', 'configmaps,deployments']);
  assert.equal(none.stderr.trim(), 'No resources found in default namespace.');
});

test('kubectl get --watch prints changes as they happen', async (t) => {
  const h = await startHarness(t);
  const file = join(h.dir, 'cm.yaml');
  writeFileSync(file, MANIFEST.split('---')[0]!);
  await kubectl(h.kube, ['apply', '--validate=false', '-f', file]);
  const watching = kubectl(h.kube, ['get', 'configmap', 'demo', '--watch', '--request-timeout=3s'], { timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 1000));
  await kubectl(h.kube, ['label', 'configmap', 'demo', 'x=y']);
  await kubectl(h.kube, ['delete', 'configmap', 'demo']);
  const out = await watching;
  const lines = out.stdout.trim().split('\n');
  assert.match(lines[0]!, /^NAME\s+DATA\s+AGE$/);
  assert.equal(lines.filter((l) => l.startsWith('demo ')).length, 3, out.stdout);
});

test('the namespaces the cluster relies on cannot be deleted: 403 with upstream wording, even as a dry run', async (t) => {
  const h = await startHarness(t);
  for (const name of ['default', 'kube-system', 'kube-public']) {
    for (const extra of [[], ['--dry-run=server']]) {
      const del = await kubectl(h.kube, ['delete', 'namespace', name, ...extra]);
      assert.equal(del.code, 1, del.stdout);
      assert.equal(del.stderr.trim(), `Error from server (Forbidden): namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
    const get = await kubectl(h.kube, ['get', 'namespace', name, '-o', 'jsonpath={.status.phase}']);
    assert.equal(get.stdout, 'Active', get.stderr);
  }
  // Any other namespace goes as usual.
  assert.equal((await kubectl(h.kube, ['create', 'namespace', 'scratch'])).code, 0);
  const del = await kubectl(h.kube, ['delete', 'namespace', 'scratch', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
});
