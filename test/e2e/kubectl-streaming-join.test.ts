/**
 * Streaming to a node on another machine: `k3s agent` joins from its own network namespace,
 * and kubectl (next to the server) reads logs of, execs in and port-forwards to a pod on that
 * node. The API server dials the agent's kubelet API at the node's InternalIP with its
 * kubelet-client certificate; the agent serves the certificate the server issued when it joined.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { containerdPaths } from '../../src/agent/index.js';
import { K3S_BIN, run, tempDir, waitFor } from '../helpers/index.js';
import { connectNamespaces, createNetNamespace } from '../helpers/netns.js';
import { cleanUpRuntime } from '../integration/agent/runtime-cleanup.js';
import { BUSYBOX, canRunNodeCluster, startNodeCluster } from './node-cluster.js';

test('kubectl logs, exec and port-forward reach a pod on a joined agent', { skip: !canRunNodeCluster && 'needs root for containerd and network namespaces', timeout: 420_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'stsrv' });
  const agentNs = await createNetNamespace(t, 'stagt');
  await connectNamespaces(t, cluster.netns, agentNs);
  const token = readFileSync(join(cluster.dataDir, 'server', 'node-token'), 'utf8').trim();
  let dir = '';
  t.after(async () => {
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n').reverse()) {
      const target = line.split(' ')[1];
      if (dir && target?.startsWith(dir)) await run('umount', ['-l', target]);
    }
  });
  dir = tempDir(t, 'k3s-stagent-');
  const dataDir = join(dir, 'data');
  const node = `agent-${agentNs.name.slice(5)}`;
  const socket = containerdPaths(dataDir, { rootless: false }).socket;
  t.after(async () => {
    if (existsSync(socket)) await cleanUpRuntime(socket);
  });
  const agent = agentNs.spawn(process.execPath, [K3S_BIN, 'agent', '--server', `https://${cluster.netns.nodeIP}:6443`, '--token', token, '-d', dataDir, '--node-name', node, '--node-ip', agentNs.nodeIP], {
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  await waitFor('the agent node Ready', async () => {
    if (agent.child.exitCode !== null) throw new Error(`k3s agent exited with ${agent.child.exitCode}:\n${agent.output()}`);
    return new RegExp(`^${node}\\s+Ready\\s`, 'm').test((await cluster.kubectl(['get', 'nodes', '--no-headers'])).stdout);
  }, 120_000, 250);
  const kubeletPort = (await cluster.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}'])).stdout;
  assert.equal(kubeletPort, '10250');

  const pod = `apiVersion: v1
kind: Pod
metadata: {name: remote}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${BUSYBOX}
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && echo remote-started && httpd -f -p 8080 -h /www"]
`;
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
