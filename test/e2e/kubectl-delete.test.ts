/**
 * Deleting with kubectl against a real `k3s server --disable-agent`: each propagation policy,
 * finalizers holding an object in deletion, --wait, --force, kubectl wait (delete, condition,
 * jsonpath), and dry runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCluster, type Cluster } from './kubectl-cluster.js';

const cleanups: (() => unknown)[] = [];
let c: Cluster;

const cm = (name: string, extra = ''): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}data: {k: v}\n`;

describe('kubectl delete and wait', () => {
  before(async () => {
    c = await startCluster({ after: (fn) => cleanups.push(fn) });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('delete (background, the default) removes the object and waits for it', async () => {
    await c.kubectl(['create', 'deployment', 'gone', '--image=nginx']);
    const r = await c.kubectl(['delete', 'deployment', 'gone']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deployment.apps "gone" deleted\n');
    assert.equal((await c.kubectl(['get', 'deploy', 'gone'])).code, 1);
  });

  test('--cascade=orphan and --cascade=foreground start deletion with their finalizer beside the object\'s own', async () => {
    // An own finalizer keeps the objects in deletion even when a garbage collector clears
    // orphan/foregroundDeletion, so the test reads the same with or without controllers.
    for (const n of ['orph', 'fore']) await c.kubectl(['create', '-f', '-'], { input: cm(n, '  finalizers: [example.com/hold]\n') });
    assert.equal((await c.kubectl(['delete', 'cm', 'orph', '--cascade=orphan', '--wait=false'])).code, 0);
    assert.equal((await c.kubectl(['delete', 'cm', 'fore', '--cascade=foreground', '--wait=false'])).code, 0);
    for (const [n, f] of [['orph', 'orphan'], ['fore', 'foregroundDeletion']] as const) {
      const out = (await c.kubectl(['get', 'cm', n, '-o', 'jsonpath={.metadata.deletionTimestamp} {.metadata.finalizers}'])).stdout;
      const [ts, list] = out.split(' ');
      assert.match(ts!, /^\d{4}-/);
      const finalizers = JSON.parse(list!) as string[];
      assert.ok(finalizers.includes('example.com/hold'), out);
      assert.ok(finalizers.every((x) => x === 'example.com/hold' || x === f), out);
    }
  });

  test('a finalizer holds the object; removing the last one deletes it and kubectl wait --for=delete returns', async () => {
    await c.kubectl(['create', '-f', '-'], { input: cm('held', '  finalizers: [example.com/hold]\n') });
    assert.equal((await c.kubectl(['delete', 'cm', 'held', '--wait=false'])).code, 0);
    assert.match((await c.kubectl(['get', 'cm', 'held', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).stdout, /^\d{4}-/);
    const waiting = c.kubectl(['wait', '--for=delete', 'cm/held', '--timeout=20s'], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await c.kubectl(['patch', 'cm', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]'])).code, 0);
    const w = await waiting;
    assert.equal(w.code, 0, w.stderr);
    assert.equal((await c.kubectl(['get', 'cm', 'held'])).code, 1);
  });

  test('--force --grace-period=0 deletes at once; --dry-run=server keeps the object', async () => {
    await c.kubectl(['create', '-f', '-'], { input: cm('forced') });
    const dry = await c.kubectl(['delete', 'cm', 'forced', '--dry-run=server']);
    assert.equal(dry.stdout, 'configmap "forced" deleted (server dry run)\n');
    assert.equal((await c.kubectl(['get', 'cm', 'forced'])).code, 0);
    const r = await c.kubectl(['delete', 'cm', 'forced', '--force', '--grace-period=0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Immediate deletion does not wait for confirmation/);
    assert.equal((await c.kubectl(['get', 'cm', 'forced'])).code, 1);
  });

  test('delete by label selector (deletecollection-style) and a missing object is NotFound', async () => {
    for (const n of ['l1', 'l2']) await c.kubectl(['create', '-f', '-'], { input: cm(n, '  labels: {group: doomed}\n') });
    const r = await c.kubectl(['delete', 'cm', '-l', 'group=doomed']);
    assert.equal(r.stdout, 'configmap "l1" deleted\nconfigmap "l2" deleted\n');
    const missing = await c.kubectl(['delete', 'cm', 'nope']);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): configmaps "nope" not found');
  });

  test('wait --for=condition and --for=jsonpath see status changes made through the status subresource', async () => {
    // A ClusterIP Service: no controller writes its status, so the test controls it.
    await c.kubectl(['create', 'service', 'clusterip', 'waited', '--tcp=80:80']);
    const cond = c.kubectl(['wait', '--for=condition=Ready', 'svc/waited', '--timeout=20s'], { timeoutMs: 30_000 });
    const path = c.kubectl(['wait', '--for=jsonpath={.status.loadBalancer.ingress[0].ip}=192.0.2.9', 'svc/waited', '--timeout=20s'], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const status = { status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] }, conditions: [{ type: 'Ready', status: 'True', reason: 'Test', message: 'ok', lastTransitionTime: new Date().toISOString().slice(0, 19) + 'Z' }] } };
    const p = await c.kubectl(['patch', 'svc', 'waited', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    assert.equal(p.code, 0, p.stderr);
    const [a, b] = await Promise.all([cond, path]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, 'service/waited condition met\n');
    assert.equal(b.code, 0, b.stderr);
    const timeout = await c.kubectl(['wait', '--for=condition=Other', 'svc/waited', '--timeout=1s']);
    assert.equal(timeout.code, 1);
    assert.match(timeout.stderr, /timed out waiting for the condition on services\/waited/);
  });
});
