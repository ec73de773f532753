/**
 * `kubectl get` and discovery against a real `k3s server --disable-agent`: tables (default and
 * wide), all namespaces, label columns, every -o format, watch, chunked lists, api-resources,
 * api-versions and version.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCluster, type Cluster } from './kubectl-cluster.js';

const cleanups: (() => unknown)[] = [];
let c: Cluster;

const CONFIGMAPS = Array.from({ length: 5 }, (_, i) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-${i}
  namespace: ${i % 2 === 0 ? 'default' : 'kube-public'}
  labels: {app: demo, tier: "t${i}"}
data:
  k: "${i}"
`).join('---\n');

describe('kubectl get', () => {
  before(async () => {
    c = await startCluster({ after: (fn) => cleanups.push(fn) });
    const r = await c.kubectl(['apply', '--validate=false', '-f', '-'], { input: CONFIGMAPS });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('version reports the server as Kubernetes 1.32', async () => {
    const r = await c.kubectl(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { serverVersion: { major: string; minor: string; gitVersion: string } };
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '32');
    assert.match(v.serverVersion.gitVersion, /^v1\.32\.\d+\+k3s/);
  });

  test('default table: NAME DATA AGE for configmaps in the current namespace', async () => {
    const r = await c.kubectl(['get', 'configmaps', '-l', 'app=demo']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+DATA\s+AGE$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2)), [['cm-0', '1'], ['cm-2', '1'], ['cm-4', '1']]);
  });

  test('-A adds the NAMESPACE column from the rows', async () => {
    const r = await c.kubectl(['get', 'cm', '-A', '-l', 'app=demo']);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAMESPACE\s+NAME\s+DATA\s+AGE$/);
    assert.equal(lines.length, 6);
    assert.ok(lines.some((l) => /^kube-public\s+cm-1\s/.test(l)), r.stdout);
  });

  test('-L and --show-labels read labels from the row objects', async () => {
    const r = await c.kubectl(['get', 'cm', 'cm-0', '-L', 'tier', '--show-labels']);
    const [head, row] = r.stdout.trim().split('\n');
    assert.match(head!, /^NAME\s+DATA\s+AGE\s+TIER\s+LABELS$/);
    assert.match(row!, /^cm-0\s+1\s+\S+\s+t0\s+app=demo,tier=t0$/);
  });

  test('-o wide shows priority columns (services: SELECTOR)', async () => {
    const r = await c.kubectl(['get', 'svc', 'kubernetes', '-o', 'wide']);
    const [head, row] = r.stdout.trim().split('\n');
    assert.match(head!, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/);
    assert.match(row!, /^kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP\s+\S+\s+<none>$/);
  });

  test('-o yaml, -o json, -o name, jsonpath and custom-columns', async () => {
    const yaml = await c.kubectl(['get', 'cm', 'cm-0', '-o', 'yaml']);
    assert.match(yaml.stdout, /^apiVersion: v1\ndata:\n {2}k: "0"\nkind: ConfigMap\nmetadata:\n/);
    assert.match(yaml.stdout, /\n {2}resourceVersion: "\d+"\n/);
    assert.match(yaml.stdout, /\n {2}uid: [0-9a-f-]{36}\n/);
    const json = JSON.parse((await c.kubectl(['get', 'cm', 'cm-0', '-o', 'json'])).stdout) as { metadata: { namespace: string; creationTimestamp: string } };
    assert.equal(json.metadata.namespace, 'default');
    assert.match(json.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal((await c.kubectl(['get', 'cm', '-l', 'tier in (t0,t2)', '-o', 'name'])).stdout, 'configmap/cm-0\nconfigmap/cm-2\n');
    assert.equal((await c.kubectl(['get', 'cm', '-l', 'app=demo,tier!=t0', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout, 'cm-2 cm-4');
    const cols = await c.kubectl(['get', 'cm', '-A', '-l', 'app', '-o', 'custom-columns=NS:.metadata.namespace,NAME:.metadata.name,K:.data.k', '--sort-by=.data.k']);
    assert.equal(cols.stdout, 'NS            NAME   K\ndefault       cm-0   0\nkube-public   cm-1   1\ndefault       cm-2   2\nkube-public   cm-3   3\ndefault       cm-4   4\n');
  });

  test('field selectors narrow lists; unsupported fields are a clear 400', async () => {
    const r = await c.kubectl(['get', 'cm', '-A', '--field-selector', 'metadata.name=cm-3', '-o', 'name']);
    assert.equal(r.stdout, 'configmap/cm-3\n');
    const bad = await c.kubectl(['get', 'cm', '--field-selector', 'data.k=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field label not supported: data\.k/);
  });

  test('--chunk-size pages through the list with continue tokens', async () => {
    const r = await c.kubectl(['get', 'cm', '-A', '-l', 'app=demo', '--chunk-size=2', '-o', 'name', '-v=6']);
    assert.equal(r.stdout.trim().split('\n').length, 5);
    assert.equal((r.stderr.match(/limit=2/g) ?? []).length, 3, r.stderr);
    assert.match(r.stderr, /continue=/);
  });

  test('a missing object is NotFound, as upstream prints it', async () => {
    const r = await c.kubectl(['get', 'deployment', 'nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error from server (NotFound): deployments.apps "nope" not found');
  });

  test('api-resources and api-versions come from aggregated discovery', async () => {
    const r = await c.kubectl(['api-resources', '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
    assert.match(r.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(r.stdout, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    // Aggregated discovery: only /api and /apis are fetched, never /apis/<group>/<version>.
    assert.doesNotMatch(r.stderr, /GET https:\/\/\S+\/apis\/apps\/v1 /);
    const v = await c.kubectl(['api-versions']);
    for (const gv of ['v1', 'apps/v1', 'batch/v1', 'rbac.authorization.k8s.io/v1', 'networking.k8s.io/v1']) assert.match(v.stdout, new RegExp(`^${gv.replace('.', '\\.')}$`, 'm'));
  });

  test('get --watch streams a table row per change and stops at the timeout', async () => {
    const watching = c.kubectl(['get', 'cm', 'cm-0', '--watch', '--request-timeout=4s'], { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await c.kubectl(['annotate', 'cm', 'cm-0', 'note=1'])).code, 0);
    const out = await watching;
    const lines = out.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+DATA\s+AGE$/);
    assert.equal(lines.filter((l) => l.startsWith('cm-0')).length, 2, out.stdout + out.stderr);
  });
});
