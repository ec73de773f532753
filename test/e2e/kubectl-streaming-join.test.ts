/**
 * Streaming to a node on another machine: `k3s agent` joins from its own network namespace,
 * and kubectl (next to the server) reads logs of, execs in and port-forwards to a pod on that
 * node. The API server dials the agent's kubelet API at the node's InternalIP with its
 * kubelet-client certificate; the agent serves the certificate the server issued when it joined.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../helpers/index.js';
import { prepareAgentMachine } from './join-agent.js';
import { canRunNodeCluster, startNodeCluster } from './node-cluster.js';
import { podOnNode } from './pod-manifest.js';

test('kubectl logs, exec and port-forward reach a pod on a joined agent', { skip: !canRunNodeCluster && 'needs root for containerd and network namespaces', timeout: 420_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'stsrv' });
  const machine = await prepareAgentMachine(t, cluster, 'stagt');
  const { node } = machine;
  const agent = machine.start();
  await machine.waitReady('the agent node Ready', agent);
  const kubeletPort = (await cluster.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}'])).stdout;
  assert.equal(kubeletPort, '10250');

  const pod = podOnNode('remote', node, 'mkdir -p /www && hostname > /www/index.html && echo remote-started && httpd -f -p 8080 -h /www', { grace: 1 });
  assert.equal((await cluster.kubectl(['apply', '-f', '-'], { input: pod })).code, 0);
  await waitFor('remote pod Running', async () => (await cluster.kubectl(['get', 'pod', 'remote', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 120_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}\n${agent.output().slice(-4000)}`);
  });

  const logs = await cluster.kubectl(['logs', 'remote']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, 'remote-started\n');

  const exec = await cluster.kubectl(['exec', '-i', 'remote', '--', 'sh', '-c', 'cat; exit 7'], { input: 'across nodes\n', timeoutMs: 30_000 });
  assert.equal(exec.code, 7, exec.stderr);
  assert.equal(exec.stdout, 'across nodes\n');

  const forward = cluster.netns.spawn('kubectl', ['port-forward', 'pod/remote', '18082:8080'], {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfig, KUBECACHEDIR: join(cluster.dir, 'kube-cache'), HOME: join(cluster.dir, 'kube-cache') },
  });
  await waitFor('port-forward listening', () => forward.output().includes('Forwarding from 127.0.0.1:18082'), 30_000, 100);
  const got = await cluster.netns.run('curl', ['-s', '-m', '10', 'http://127.0.0.1:18082/']);
  assert.equal(got.stdout, 'remote\n', got.stderr + forward.output());
  forward.child.kill('SIGTERM');
  await forward.exited;
  await cluster.kubectl(['delete', 'pod', 'remote', '--grace-period=0', '--force']);
});
