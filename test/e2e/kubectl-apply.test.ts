/**
 * Writing with kubectl against a real `k3s server --disable-agent`: create -f, client-side apply
 * (with the default strict validation), re-apply, server-side apply and its conflicts, prune,
 * diff, the three patch types and --subresource=status, edit, label, annotate, scale, replace,
 * describe.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCluster, type Cluster } from './kubectl-cluster.js';

const cleanups: (() => unknown)[] = [];
let c: Cluster;

const deployment = (name: string, replicas: number, image = 'nginx:1.27'): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: main
        image: ${image}
        ports: [{containerPort: 80}]
`;

const jsonpath = async (args: string[], path: string): Promise<string> => (await c.kubectl(['get', ...args, '-o', `jsonpath=${path}`])).stdout;

describe('kubectl writes', () => {
  before(async () => {
    c = await startCluster({ after: (fn) => cleanups.push(fn) });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('create -f stores the object with server-set fields and defaults', async () => {
    const r = await c.kubectl(['create', '-f', '-'], { input: deployment('created', 2) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deployment.apps/created created\n');
    assert.equal(await jsonpath(['deploy', 'created'], '{.metadata.generation} {.spec.strategy.type} {.spec.template.spec.containers[0].imagePullPolicy}'), '1 RollingUpdate IfNotPresent');
    const again = await c.kubectl(['create', '-f', '-'], { input: deployment('created', 2) });
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), 'Error from server (AlreadyExists): error when creating "STDIN": deployments.apps "created" already exists');
  });

  test('apply (client-side, strict validation) creates, re-applies changes, and reports unchanged', async () => {
    assert.equal((await c.kubectl(['apply', '-f', '-'], { input: deployment('applied', 1) })).stdout, 'deployment.apps/applied created\n');
    assert.equal((await c.kubectl(['apply', '-f', '-'], { input: deployment('applied', 1) })).stdout, 'deployment.apps/applied unchanged\n');
    assert.equal((await c.kubectl(['apply', '-f', '-'], { input: deployment('applied', 3, 'nginx:1.28') })).stdout, 'deployment.apps/applied configured\n');
    assert.equal(await jsonpath(['deploy', 'applied'], '{.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.generation}'), '3 nginx:1.28 2');
    // Strategic merge kept the container's defaulted fields and its port (merge key containerPort).
    assert.equal(await jsonpath(['deploy', 'applied'], '{.spec.template.spec.containers[0].ports[0].containerPort} {.spec.template.spec.containers[0].terminationMessagePath}'), '80 /dev/termination-log');
  });

  test('apply with an unknown field fails under strict validation and stores nothing', async () => {
    const bad = deployment('strict', 1).replace('replicas: 1', 'replicas: 1\n  replicaz: 2');
    const r = await c.kubectl(['apply', '-f', '-'], { input: bad });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown field "spec\.replicaz"/);
    assert.equal((await c.kubectl(['get', 'deploy', 'strict'])).code, 1);
  });

  test('apply --server-side creates, updates, and reports conflicts unless forced', async () => {
    assert.equal((await c.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('ssa', 2) })).stdout, 'deployment.apps/ssa serverside-applied\n');
    assert.equal((await c.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('ssa', 4) })).stdout, 'deployment.apps/ssa serverside-applied\n');
    const conflict = await c.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], { input: deployment('ssa', 5) });
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl" using apps\/v1: \.spec\.replicas/);
    assert.equal(await jsonpath(['deploy', 'ssa'], '{.spec.replicas}'), '4');
    const forced = await c.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=other', '-f', '-'], { input: deployment('ssa', 5) });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await jsonpath(['deploy', 'ssa'], '{.spec.replicas}'), '5');
    // (Controllers, when running, add their own entries for status.)
    const managers = (await jsonpath(['deploy', 'ssa', '--show-managed-fields'], '{.metadata.managedFields[*].manager}')).split(' ');
    assert.ok(managers.includes('kubectl') && managers.includes('other'), managers.join(' '));
  });

  test('apply --prune -l deletes labelled objects that left the manifest', async () => {
    const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels: {set: prune}\ndata: {k: v}\n`;
    assert.equal((await c.kubectl(['apply', '-l', 'set=prune', '--prune', '-f', '-'], { input: `${cm('p1')}---\n${cm('p2')}` })).code, 0);
    const r = await c.kubectl(['apply', '-l', 'set=prune', '--prune', '-f', '-'], { input: cm('p1') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap\/p1 unchanged\nconfigmap\/p2 pruned\n/);
    assert.equal((await c.kubectl(['get', 'cm', '-l', 'set=prune', '-o', 'name'])).stdout, 'configmap/p1\n');
  });

  test('diff shows what apply would change and exits 1; 0 when nothing would', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deployment('diffed', 1) });
    const same = await c.kubectl(['diff', '-f', '-'], { input: deployment('diffed', 1) });
    assert.equal(same.code, 0, same.stderr);
    const changed = await c.kubectl(['diff', '-f', '-'], { input: deployment('diffed', 2) });
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /^- {2}replicas: 1$/m);
    assert.match(changed.stdout, /^\+ {2}replicas: 2$/m);
    assert.equal(await jsonpath(['deploy', 'diffed'], '{.spec.replicas}'), '1');
  });

  test('patch: strategic (default), merge, json, and --subresource=status', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deployment('patched', 1) });
    const sm = await c.kubectl(['patch', 'deploy', 'patched', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}']);
    assert.equal(sm.stdout, 'deployment.apps/patched patched\n');
    assert.equal(await jsonpath(['deploy', 'patched'], '{.spec.template.spec.containers[*].name}'), 'side main');
    await c.kubectl(['patch', 'deploy', 'patched', '--type=merge', '-p', '{"spec":{"replicas":3}}']);
    await c.kubectl(['patch', 'deploy', 'patched', '--type=json', '-p', '[{"op":"replace","path":"/metadata/labels/app","value":"x"}]']);
    assert.equal(await jsonpath(['deploy', 'patched'], '{.spec.replicas} {.metadata.labels.app}'), '3 x');
    const failedTest = await c.kubectl(['patch', 'deploy', 'patched', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
    assert.equal(failedTest.code, 1);
    // Status on a ClusterIP Service: no controller writes it, so what we see is what we wrote.
    await c.kubectl(['create', 'service', 'clusterip', 'st', '--tcp=80:80']);
    const status = await c.kubectl(['patch', 'svc', 'st', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.7"}]}},"spec":{"sessionAffinity":"ClientIP"}}']);
    assert.equal(status.code, 0, status.stderr);
    // The status subresource writes only status.
    assert.equal(await jsonpath(['svc', 'st'], '{.status.loadBalancer.ingress[0].ip} {.spec.sessionAffinity}'), '192.0.2.7 None');
    // The main resource ignores status.
    await c.kubectl(['patch', 'svc', 'st', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.8"}]}}}']);
    assert.equal(await jsonpath(['svc', 'st'], '{.status.loadBalancer.ingress[0].ip}'), '192.0.2.7');
  });

  test('edit with EDITOR set to a script saves the change', async () => {
    await c.kubectl(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: edited}\ndata: {greeting: hello}\n' });
    const editor = join(c.dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/greeting: hello/greeting: edited/" "$1"\n');
    chmodSync(editor, 0o755);
    const r = await c.kubectl(['edit', 'cm', 'edited'], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'configmap/edited edited\n');
    assert.equal(await jsonpath(['cm', 'edited'], '{.data.greeting}'), 'edited');
  });

  test('label, annotate (and removal), scale, replace and describe', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deployment('misc', 1) });
    assert.equal((await c.kubectl(['label', 'deploy', 'misc', 'tier=web'])).stdout, 'deployment.apps/misc labeled\n');
    assert.equal((await c.kubectl(['annotate', 'deploy', 'misc', 'note=hi'])).stdout, 'deployment.apps/misc annotated\n');
    const overwrite = await c.kubectl(['label', 'deploy', 'misc', 'tier=db']);
    assert.equal(overwrite.code, 1);
    assert.match(overwrite.stderr, /'tier' already has a value \(web\), and --overwrite is false/);
    assert.equal((await c.kubectl(['label', 'deploy', 'misc', 'tier-'])).stdout, 'deployment.apps/misc unlabeled\n');
    assert.equal(await jsonpath(['deploy', 'misc'], '{.metadata.labels.tier}|{.metadata.annotations.note}'), '|hi');

    assert.equal((await c.kubectl(['scale', 'deploy', 'misc', '--replicas=4'])).stdout, 'deployment.apps/misc scaled\n');
    assert.equal(await jsonpath(['deploy', 'misc'], '{.spec.replicas}'), '4');
    const stale = await c.kubectl(['scale', 'deploy', 'misc', '--replicas=2', '--current-replicas=3']);
    assert.equal(stale.code, 1);

    const yaml = (await c.kubectl(['get', 'deploy', 'misc', '-o', 'yaml'])).stdout.replace('replicas: 4', 'replicas: 6');
    assert.equal((await c.kubectl(['replace', '-f', '-'], { input: yaml })).stdout, 'deployment.apps/misc replaced\n');
    const conflict = await c.kubectl(['replace', '-f', '-'], { input: yaml });
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /Operation cannot be fulfilled on deployments\.apps "misc": the object has been modified; please apply your changes to the latest version and try again/);

    const d = await c.kubectl(['describe', 'deploy', 'misc']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^Name:\s+misc$/m);
    assert.match(d.stdout, /^Replicas:\s+6 desired/m);
    assert.match(d.stdout, /^(Annotations:)?\s+note: hi$/m);
  });
});
