import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONFIG_HASH, CONFIG_SEEN, CONFIG_SOURCE, scanManifests, staticPodFromManifest } from '../../../src/agent/static-pods/index.js';
import { tempDir } from '../../helpers/index.js';

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: main\n    image: busybox\n';

test('a static pod is named <name>-<node>, bound to the node, with a hash uid and config annotations', () => {
  const pod = staticPodFromManifest(POD, '/m/etcd.yaml', 'node1', new Date('2026-01-01T00:00:00Z'));
  assert.equal(pod.metadata?.name, 'etcd-node1');
  assert.equal(pod.metadata?.namespace, 'kube-system');
  assert.equal(pod.spec.nodeName, 'node1');
  assert.equal(pod.spec.restartPolicy, 'Always');
  assert.match(pod.metadata?.uid ?? '', /^[0-9a-f]{32}$/);
  assert.deepEqual(pod.metadata?.annotations, { [CONFIG_HASH]: pod.metadata?.uid, [CONFIG_SEEN]: '2026-01-01T00:00:00.000Z', [CONFIG_SOURCE]: 'file' });
  // The same manifest in JSON, keys in another order: the same pod.
  const json = JSON.stringify({ spec: { containers: [{ image: 'busybox', name: 'main' }], hostNetwork: true }, metadata: { namespace: 'kube-system', name: 'etcd' }, kind: 'Pod', apiVersion: 'v1' });
  assert.equal(staticPodFromManifest(json, '/m/etcd.yaml', 'node1').metadata?.uid, pod.metadata?.uid);
  // Another node, another file or another spec: another uid.
  assert.notEqual(staticPodFromManifest(POD, '/m/etcd.yaml', 'node2').metadata?.uid, pod.metadata?.uid);
  assert.notEqual(staticPodFromManifest(POD, '/m/other.yaml', 'node1').metadata?.uid, pod.metadata?.uid);
  assert.notEqual(staticPodFromManifest(POD.replace('busybox', 'busybox:1'), '/m/etcd.yaml', 'node1').metadata?.uid, pod.metadata?.uid);
  assert.equal(staticPodFromManifest(POD.replace('  namespace: kube-system\n', ''), '/m/etcd.yaml', 'node1').metadata?.namespace, 'default');
});

test('manifests that are not one Pod are refused with the file named', () => {
  assert.throws(() => staticPodFromManifest('kind: Deployment\napiVersion: apps/v1\n', '/m/d.yaml', 'n'), /\/m\/d\.yaml: expected apiVersion v1 and kind Pod/);
  assert.throws(() => staticPodFromManifest('apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: b}]\n', '/m/p.yaml', 'n'), /metadata\.name is required/);
  assert.throws(() => staticPodFromManifest('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n', '/m/p.yaml', 'n'), /at least one container/);
  assert.throws(() => staticPodFromManifest('a: [', '/m/p.yaml', 'n'), /not valid YAML or JSON/);
});

test('scanning the dir: hidden files and subdirectories skipped, problems per file, config.seen kept for unchanged pods', (t) => {
  const dir = tempDir(t, 'k3s-manifests-');
  writeFileSync(join(dir, 'etcd.yaml'), POD);
  writeFileSync(join(dir, '.swp'), POD);
  writeFileSync(join(dir, 'dup.yaml'), POD);
  writeFileSync(join(dir, 'bad.json'), '{}');
  mkdirSync(join(dir, 'sub'));
  const first = scanManifests(dir, 'n');
  assert.deepEqual([...first.pods.keys()], ['kube-system/etcd-n']);
  assert.deepEqual([...first.problems.keys()].map((f) => f.slice(dir.length + 1)).sort(), ['bad.json', 'etcd.yaml']);
  assert.match(first.problems.get(join(dir, 'etcd.yaml')) ?? '', /already defined by another manifest/);
  const seen = first.pods.get('kube-system/etcd-n')?.metadata?.annotations?.[CONFIG_SEEN];
  const second = scanManifests(dir, 'n', first.pods);
  assert.equal(second.pods.get('kube-system/etcd-n')?.metadata?.annotations?.[CONFIG_SEEN], seen);
  assert.equal(scanManifests(join(dir, 'missing'), 'n').pods.size, 0);
});
