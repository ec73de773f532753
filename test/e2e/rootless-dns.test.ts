/**
 * Cluster DNS in rootless mode: the DNS listener binds the node address inside rootlesskit's
 * network namespace and a pod resolves Services through the cluster DNS IP (the service proxy
 * inside the same namespace forwards it there).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/index.js';
import { startRootlessCluster } from './rootless-cluster.js';

const canRun = process.getuid?.() === 0;

test('rootless: a pod resolves Services by name through the cluster DNS IP', { skip: !canRun && 'needs root to create a test user', timeout: 300_000 }, async (t) => {
  const cluster = await startRootlessCluster(t, 'k3sdn', 'dns');
  if (typeof cluster === 'string') return t.skip(cluster);
  const { kubectl, fail } = cluster;

  const applied = await kubectl(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'resolver', namespace: 'default' },
        spec: {
          terminationGracePeriodSeconds: 0,
          // busybox nslookup exits non-zero when any search-list variant is NXDOMAIN, so the answer is grepped.
          containers: [{ name: 'c', image: 'docker.io/library/busybox:1.35.0', command: ['sh', '-c', "until nslookup -type=a web 2>&1 | grep -q '^Name:'; do sleep 1; done; nslookup -type=a web; nslookup -type=a kubernetes.default.svc.cluster.local; echo RESOLVED; sleep 3600"] }],
        },
      },
    ],
  }));
  assert.equal(applied.code, 0, applied.stderr);
  const webIP = (await kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  let logs = '';
  await waitFor('the pod resolved both names', async () => {
    logs = (await kubectl(['logs', 'resolver'])).stdout;
    return logs.includes('RESOLVED');
  }, 120_000, 1000).catch((err: Error) => fail(new Error(`${err.message}\n--- pod log ---\n${logs.slice(-3000)}`)));
  assert.match(logs, new RegExp(`Address: ${webIP.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(logs, /Address: 10\.43\.0\.1$/m);
  assert.match(logs, /^Server:\s+10\.43\.0\.10$/m);
  await kubectl(['delete', 'pod', 'resolver', '--grace-period=0', '--force']);
});
