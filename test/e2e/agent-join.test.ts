/**
 * `k3s agent` joining a `k3s server` across two network namespaces (two machines on one
 * network), driven by the real kubectl: both nodes Ready, a pod bound to the agent's node runs
 * there, the node goes NotReady when the agent stops and Ready again when it comes back. Bad
 * joins are reported and retried: a wrong token, an unreachable server, a node name another
 * machine already holds.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, waitFor } from '../helpers/index.js';
import { prepareAgentMachine, stopAgent as stop } from './join-agent.js';
import { canRunNodeCluster, startNodeCluster } from './node-cluster.js';
import { podOnNode } from './pod-manifest.js';

test('k3s agent joins a server from another machine: Ready, runs its pods, NotReady when stopped and Ready again', { skip: !canRunNodeCluster && 'needs root for containerd and network namespaces', timeout: 420_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'server' });
  const machine = await prepareAgentMachine(t, cluster, 'agent');
  const { netns: agentNs, dir, dataDir, node, token, serverUrl, socket, nodeStatus } = machine;

  let agent = machine.start();
  await machine.waitReady('the agent node Ready', agent);
  const nodes = (await cluster.kubectl(['get', 'nodes', '--no-headers'])).stdout;
  assert.match(nodes, new RegExp(`^${cluster.node}\\s+Ready\\s+control-plane`, 'm'));
  assert.match(nodes, new RegExp(`^${node}\\s+Ready\\s+<none>`, 'm'), nodes);
  assert.ok(existsSync(join(dataDir, 'agent', 'client-kubelet.crt')), 'the kubelet client certificate is kept under the agent dir');
  const address = (await cluster.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}'])).stdout;
  assert.equal(address, agentNs.nodeIP);
  // The node password Secret the server stored on first contact.
  const secret = await cluster.kubectl(['get', 'secret', '-n', 'kube-system', `${node}.node-password.k3s`, '-o', 'jsonpath={.immutable}']);
  assert.equal(secret.stdout, 'true', secret.stderr);

  const pod = podOnNode('on-agent', node, 'echo started; sleep 3600', { grace: 1 });
  const applied = await cluster.kubectl(['apply', '-f', '-'], { input: pod });
  assert.equal(applied.code, 0, applied.stderr);
  await waitFor('pod on-agent Running', async () => /^on-agent\s+1\/1\s+Running\s+0/m.test((await cluster.kubectl(['get', 'pod', 'on-agent', '--no-headers'])).stdout), 90_000, 250).catch(async (err: Error) => {
    const described = (await cluster.kubectl(['describe', 'pod', 'on-agent'])).stdout;
    throw new Error(`${err.message}\n${described}\nagent log (tail):\n${agent.output().split('\n').slice(-40).join('\n')}`);
  });
  const hostIP = (await cluster.kubectl(['get', 'pod', 'on-agent', '-o', 'jsonpath={.status.hostIP}'])).stdout;
  assert.equal(hostIP, agentNs.nodeIP, 'the pod runs on the agent, not the server');
  // The API server reaches the agent's kubelet API (serving certificate issued at join).
  const logs = await cluster.kubectl(['logs', 'on-agent']);
  assert.equal(logs.stdout.trim(), 'started', logs.stderr);
  // kubectl top reaches the joined node's usage through its kubelet API too.
  await waitFor('kubectl top node lists both nodes', async () => {
    const r = await cluster.kubectl(['top', 'node', '--no-headers']);
    return r.code === 0 && r.stdout.includes(node) && r.stdout.includes(cluster.node);
  }, 60_000, 1000);
  await waitFor('kubectl top pod on-agent', async () => /^on-agent\s+\d+m\s+\d+Mi/m.test((await cluster.kubectl(['top', 'pod', 'on-agent', '--no-headers'])).stdout), 60_000, 1000);
  // The node authorizer keeps the kubelet to what its pods use: another node's secret is refused.
  const forbidden = await cluster.kubectl(['--kubeconfig', join(dataDir, 'agent', 'kubelet.kubeconfig'), 'get', 'secret', '-n', 'kube-system', `${cluster.node}.node-password.k3s`]);
  assert.notEqual(forbidden.code, 0);
  assert.match(forbidden.stderr, /forbidden.*system:node:/i);

  await stop(agent);
  await waitFor('the agent node NotReady once its heartbeats stop', async () => (await nodeStatus()) === 'NotReady', 120_000, 1000);

  agent = machine.start();
  await machine.waitReady('the agent node Ready again', agent);
  await waitFor('pod on-agent still Running after the agent restart', async () => /^on-agent\s+1\/1\s+Running/m.test((await cluster.kubectl(['get', 'pod', 'on-agent', '--no-headers'])).stdout), 60_000, 250);
  await cluster.kubectl(['delete', 'pod', 'on-agent', '--wait=true', '--timeout=60s']);
  await waitFor('the pod sandbox removed from the agent runtime', async () => (await run('ctr', ['--address', socket, '-n', 'k8s.io', 'tasks', 'ls', '-q'])).stdout.trim() === '', 60_000, 500);
  await stop(agent);

  await t.test('a wrong token is reported and retried, not fatal', async () => {
    const wrong = machine.start(['--server', serverUrl, '--token', token.replace(/:[^:]+$/, ':not-the-secret'), '-d', join(dir, 'wrong-token'), '--node-name', `${node}-x`]);
    await waitFor('the refusal in the log', () => /answered 401.*node-token/.test(wrong.output()), 30_000, 200);
    assert.equal(wrong.child.exitCode, null, 'the agent keeps retrying');
    await stop(wrong);
  });

  await t.test('a token of another cluster (CA hash) is reported', async () => {
    const other = token.replace(/^K10[0-9a-f]{64}/, `K10${'0'.repeat(64)}`);
    const wrong = machine.start(['--server', serverUrl, '--token', other, '-d', join(dir, 'other-ca'), '--node-name', `${node}-y`]);
    await waitFor('the CA mismatch in the log', () => /does not match the cluster CA certificate hash.*another cluster/.test(wrong.output()), 30_000, 200);
    await stop(wrong);
  });

  await t.test('an unreachable server is reported and retried with backoff', async () => {
    const lost = machine.start(['--server', `https://${cluster.netns.nodeIP}:6999`, '--token', token, '-d', join(dir, 'unreachable'), '--node-name', `${node}-z`]);
    await waitFor('two attempts, the second after a longer wait', () => (lost.output().match(/cannot reach .*ECONNREFUSED/g) ?? []).length >= 2 && /"retryInMs":2000/.test(lost.output()), 30_000, 200);
    await stop(lost);
  });

  await t.test('another machine cannot take a joined node name', async () => {
    const thief = machine.start(['--server', serverUrl, '--token', token, '-d', join(dir, 'thief'), '--node-name', node]);
    await waitFor('the node password refusal', () => /answered 403: node password rejected/.test(thief.output()), 30_000, 200);
    await stop(thief);
  });
});
