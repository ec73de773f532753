/**
 * Services the API server must refuse, as upstream does, through the real kubectl: a clusterIP
 * outside --service-cidr or already allocated, a nodePort already allocated or outside
 * --service-node-port-range (all 422 Invalid, with upstream's field messages).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCluster } from './kubectl-cluster.js';

const svc = (name: string, spec: string): string => `
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: ${name} }
${spec}
`;

test('Services with a taken or out-of-range clusterIP or nodePort are refused with 422', { timeout: 120_000 }, async (t) => {
  const c = await startCluster(t);
  const create = (yaml: string) => c.kubectl(['create', '-f', '-', '-v=6'], { input: yaml });

  const ok = await create(svc('first', '  clusterIP: 10.43.100.100\n  type: NodePort\n  ports: [{ port: 80, nodePort: 30080 }]'));
  assert.equal(ok.code, 0, ok.stderr);

  const outside = await create(svc('outside', '  clusterIP: 10.99.0.5\n  ports: [{ port: 80 }]'));
  assert.notEqual(outside.code, 0);
  assert.match(outside.stderr, /422/);
  assert.match(outside.stderr, /spec\.clusterIPs: Invalid value: .*"10\.99\.0\.5".*: failed to allocate IP 10\.99\.0\.5: the provided IP \(10\.99\.0\.5\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);

  const taken = await create(svc('taken', '  clusterIP: 10.43.100.100\n  ports: [{ port: 80 }]'));
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, /422/);
  assert.match(taken.stderr, /spec\.clusterIPs: Invalid value: .*"10\.43\.100\.100".*: failed to allocate IP 10\.43\.100\.100: provided IP is already allocated/);

  const collide = await create(svc('collide', '  type: NodePort\n  ports: [{ port: 81, nodePort: 30080 }]'));
  assert.notEqual(collide.code, 0);
  assert.match(collide.stderr, /422/);
  assert.match(collide.stderr, /spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);

  const range = await create(svc('range', '  type: NodePort\n  ports: [{ port: 82, nodePort: 29999 }]'));
  assert.notEqual(range.code, 0);
  assert.match(range.stderr, /422/);
  assert.match(range.stderr, /spec\.ports\[0\]\.nodePort: Invalid value: 29999: provided port is not in the valid range/);

  // Nothing half-made: the refused Services do not exist, and the taken IP and port still belong to the first.
  const list = await c.kubectl(['get', 'svc', '-o', 'jsonpath={range .items[*]}{.metadata.name}{" "}{end}']);
  assert.equal(list.stdout.trim().split(' ').sort().join(' '), 'first kubernetes');
  const del = await c.kubectl(['delete', 'svc', 'first']);
  assert.equal(del.code, 0, del.stderr);
  const again = await create(svc('again', '  clusterIP: 10.43.100.100\n  type: NodePort\n  ports: [{ port: 80, nodePort: 30080 }]'));
  assert.equal(again.code, 0, `a deleted Service frees its IP and port: ${again.stderr}`);
});
