/**
 * Rootless: `k3s server --rootless` as a throwaway user, and that user's kubectl on the host
 * (through rootlesskit's forward of the API port) reads a Deployment's pod logs, execs in it
 * and port-forwards to it. The API server reaches the kubelet API inside the namespaces, and
 * the kubelet reaches containerd's streaming server on the namespace's loopback.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, run, spawnTracked, waitFor, type RunResult } from '../helpers/index.js';
import { startRootlessCluster } from './rootless-cluster.js';

const canRun = process.getuid?.() === 0;

test('rootless: kubectl logs, exec and port-forward as the user', { skip: !canRun && 'needs root to create a test user', timeout: 300_000 }, async (t) => {
  const cluster = await startRootlessCluster(t, 'k3sst', 'st');
  if (typeof cluster === 'string') return t.skip(cluster);
  const { user, server } = cluster;
  // kubectl as the user, not root: the helper's root kubectl owns its own cache dir.
  const userEnv = ['env', `HOME=${user.home}`, `KUBECONFIG=${cluster.kubeconfig}`, `KUBECACHEDIR=${join(user.home, '.kube/user-cache')}`];
  const kubectl = (args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> => run('runuser', ['-u', user.name, '--', ...userEnv, 'kubectl', ...args], options);

  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: docker.io/library/busybox:1.35.0
        command: ["sh", "-c", "mkdir -p /www && echo rootless-hello > /www/index.html && echo serving && httpd -f -p 8080 -h /www"]
`;
  assert.equal((await kubectl(['apply', '-f', '-'], { input: deployment })).code, 0);
  const rolled = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s'], { timeoutMs: 130_000 });
  assert.equal(rolled.code, 0, rolled.stderr + server.output().slice(-3000));

  const logs = await kubectl(['logs', 'deployment/web']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /^serving$/m);

  const exec = await kubectl(['exec', 'deployment/web', '--', 'sh', '-c', 'cat /www/index.html; exit 5']);
  assert.equal(exec.code, 5, exec.stderr);
  assert.equal(exec.stdout, 'rootless-hello\n');
  const stdin = await kubectl(['exec', '-i', 'deployment/web', '--', 'cat'], { input: 'piped\n', timeoutMs: 30_000 });
  assert.equal(stdin.stdout, 'piped\n', stdin.stderr);

  const local = await freePort();
  const forward = spawnTracked(t, 'runuser', ['-u', user.name, '--', ...userEnv, 'kubectl', 'port-forward', 'deployment/web', `${local}:8080`]);
  await waitFor('port-forward listening', () => forward.output().includes(`Forwarding from 127.0.0.1:${local}`), 30_000, 100);
  for (let i = 0; i < 3; i++) {
    const answer = await fetch(`http://127.0.0.1:${local}/`);
    assert.equal(await answer.text(), 'rootless-hello\n', forward.output());
  }
  forward.child.kill('SIGTERM');
  await forward.exited;
});
