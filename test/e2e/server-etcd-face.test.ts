/** `k3s server` serves its datastore on <data-dir>/server/kine.sock to the real etcdctl, as upstream. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../helpers/index.js';
import { startCluster } from './kubectl-cluster.js';

test('objects kubectl creates are etcd keys under /registry on kine.sock', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster(t);
  const created = await cluster.kubectl(['create', 'configmap', 'demo', '--from-literal=colour=blue']);
  assert.equal(created.code, 0, created.stderr);
  const endpoint = `unix://${join(cluster.dir, 'data/server/kine.sock')}`;
  const etcdctl = (...args: string[]) => run('etcdctl', ['--endpoints', endpoint, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
  const keys = await etcdctl('get', '/registry/configmaps/default/', '--prefix', '--keys-only');
  assert.equal(keys.code, 0, keys.stderr);
  assert.match(keys.stdout, /^\/registry\/configmaps\/default\/demo$/m);
  const value = await etcdctl('get', '/registry/configmaps/default/demo', '--print-value-only');
  assert.equal((JSON.parse(value.stdout) as { data: Record<string, string> }).data.colour, 'blue');
  const status = await etcdctl('endpoint', 'status', '-w', 'json');
  assert.equal(status.code, 0, status.stderr);
  assert.ok((JSON.parse(status.stdout) as { Status: { header: { revision: number } } }[])[0]!.Status.header.revision > 0);
});
