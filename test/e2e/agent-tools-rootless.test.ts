/**
 * `k3s ctr` and `k3s crictl` for a rootless user: with no flags they find the user's
 * `k3s server --rootless` (data dir ~/.rancher/k3s), ctr runs inside the rootlesskit namespaces
 * (an image exported and imported from the user's home runs with imagePullPolicy Never), and
 * crictl lists and reads the logs of the user's pods.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, waitFor, type RunResult } from '../helpers/index.js';
import { k3sAsUser } from '../helpers/users.js';
import { podOnNode } from './pod-manifest.js';
import { startRootlessCluster } from './rootless-cluster.js';

const canRun = process.getuid?.() === 0;

test('k3s ctr and k3s crictl as a rootless user', { skip: !canRun && 'needs root to create a test user', timeout: 240_000 }, async (t) => {
  const cluster = await startRootlessCluster(t, 'k3sct', 'tools');
  if (typeof cluster === 'string') return t.skip(cluster);
  const { user, node, kubectl } = cluster;
  const asUser = (args: string[]): string[] => k3sAsUser(user, args, [`PATH=${process.env['PATH'] ?? ''}`]);
  const k3s = (args: string[]): Promise<RunResult> => run('runuser', asUser(args), { timeoutMs: 60_000 });
  const must = async (args: string[]): Promise<string> => {
    const r = await k3s(args);
    assert.equal(r.code, 0, `k3s ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  // ctr: the user's containerd, k8s.io namespace, files from the user's home.
  assert.match(await must(['ctr', 'images', 'ls', '-q']), /^docker\.io\/library\/busybox:1\.35\.0$/m);
  await must(['ctr', 'images', 'tag', 'docker.io/library/busybox:1.35.0', 'docker.io/example/rootless-tools:1']);
  const tarball = join(user.home, 'tools.tar');
  await must(['ctr', 'images', 'export', tarball, 'docker.io/example/rootless-tools:1']);
  await must(['ctr', 'images', 'rm', 'docker.io/example/rootless-tools:1']);
  assert.match(await must(['ctr', 'images', 'import', tarball]), /docker\.io\/example\/rootless-tools:1/);
  const applied = await kubectl(['apply', '-f', '-'], podOnNode('tools', node, 'echo rootless-hello; sleep 3600', { grace: 1, image: 'docker.io/example/rootless-tools:1', pullPolicy: 'Never' }));
  assert.equal(applied.code, 0, applied.stderr);
  await waitFor('pod tools Running', async () => /^tools\s+1\/1\s+Running/m.test((await kubectl(['get', 'pod', 'tools', '--no-headers'])).stdout), 60_000, 100);

  // crictl: the user's pods and logs.
  const ps = await must(['crictl', 'ps']);
  const line = ps.split('\n').find((l) => / tools$/.test(l)) ?? '';
  assert.match(line, /^[0-9a-f]{13} +\S+ +.+ ago +Running +main +0 +[0-9a-f]{13} +tools$/, ps);
  assert.equal(await must(['crictl', 'logs', line.slice(0, 13)]), 'rootless-hello\n');
  assert.match(await must(['crictl', 'pods', '--name', 'tools']), /^[0-9a-f]{13} +.+ ago +Ready +tools +default +0 +\(default\)$/m);
  await kubectl(['delete', 'pod', 'tools', '--grace-period=1']);
});
