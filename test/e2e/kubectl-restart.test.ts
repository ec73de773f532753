/**
 * A `k3s server --disable-agent` stopped with SIGTERM (while a watch is open) exits cleanly and
 * quickly; started again on the same data dir it serves the same objects, reuses its PKI (the
 * kubeconfig keeps working), and resourceVersions keep increasing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { K3S_BIN, spawnTracked, waitFor } from '../helpers/index.js';
import { startCluster } from './kubectl-cluster.js';

test('restart on the same data dir keeps objects, certificates and increasing resourceVersions', async (t) => {
  const c = await startCluster(t);
  assert.equal((await c.kubectl(['create', 'configmap', 'survivor', '--from-literal=a=1'])).code, 0);
  const rv1 = Number((await c.kubectl(['get', 'cm', 'survivor', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout);
  const watching = c.kubectl(['get', 'cm', '--watch'], { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 800));

  const t0 = Date.now();
  c.server.child.kill('SIGTERM');
  const code = await c.server.exited;
  const stopMs = Date.now() - t0;
  assert.equal(code, 0, c.server.output().slice(-2000));
  assert.ok(stopMs < 4000, `shutdown took ${stopMs} ms`);
  await watching;

  const t1 = Date.now();
  const again = spawnTracked(t, process.execPath, [K3S_BIN, 'server', '--disable-agent', '-d', join(c.dir, 'data'), '--https-listen-port', String(c.port), '--write-kubeconfig', c.kubeconfig], {
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  await waitFor('restarted server', () => {
    if (again.child.exitCode !== null) throw new Error(again.output());
    return again.output().includes('"k3s is up"');
  }, 60_000, 50);
  const startMs = Date.now() - t1;
  console.log(`shutdown ${stopMs} ms, restart to "k3s is up" ${startMs} ms`);

  assert.equal((await c.kubectl(['get', 'cm', 'survivor', '-o', 'jsonpath={.data.a}'])).stdout, '1');
  await c.kubectl(['label', 'cm', 'survivor', 'after=restart']);
  const rv2 = Number((await c.kubectl(['get', 'cm', 'survivor', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout);
  assert.ok(rv2 > rv1, `${rv2} > ${rv1}`);
  const ns = await c.kubectl(['get', 'ns', '-o', 'name']);
  assert.equal(ns.stdout.trim().split('\n').length, 4);
});
