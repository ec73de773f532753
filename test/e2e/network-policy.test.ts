/**
 * A root node in its own network namespace: a LoadBalancer Service shows the node's address as
 * EXTERNAL-IP and answers from the host; NetworkPolicies deny then allow traffic between two
 * busybox pods on the same bridge, in ingress and in egress (the client's nc loop is read from its
 * container log on disk). Deleting the policies removes every K3S-NP chain, and so does stopping
 * the server.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, waitFor } from '../helpers/index.js';
import { client, clientVerdicts, DENY, serverAndService } from './netpol-fixtures.js';
import { canRunNodeCluster, startNodeCluster } from './node-cluster.js';

const ALLOW = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client }
spec:
  podSelector: { matchLabels: { app: server } }
  ingress:
  - from: [{ podSelector: { matchLabels: { app: client } } }]
    ports: [{ port: http }]
`;

const CLIENT_EGRESS = (allowed: boolean): string => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: client-egress }
spec:
  podSelector: { matchLabels: { app: client } }
  policyTypes: [Egress]
${allowed ? `  egress:
  - to: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: default } }, podSelector: { matchLabels: { app: server } } }]
    ports: [{ protocol: TCP, port: 8000, endPort: 8100 }]` : '  egress: []'}
`;

test('LoadBalancer EXTERNAL-IP is the node address; a NetworkPolicy denies then allows pod-to-pod traffic', { skip: !canRunNodeCluster && 'needs root', timeout: 300_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'netpol' });
  const apply = async (yaml: string): Promise<void> => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  await apply(serverAndService(8081));
  const serverIP = await waitFor('server running', async () => {
    const r = await cluster.kubectl(['get', 'pod', 'server', '-o', 'jsonpath={.status.phase} {.status.podIP}']);
    const [phase, ip] = r.stdout.split(' ');
    return phase === 'Running' && ip ? ip : undefined;
  }, 120_000, 500);

  // ServiceLB: the node's InternalIP (inside the test namespace: its veth address).
  const external = await waitFor('EXTERNAL-IP', async () => {
    const r = await cluster.kubectl(['get', 'svc', 'web', '--no-headers']);
    const cols = r.stdout.trim().split(/\s+/);
    return cols[3] && cols[3] !== '<pending>' ? cols[3] : undefined;
  }, 60_000, 500);
  assert.equal(external, cluster.netns.nodeIP);
  // From the host, like another machine: the service proxy answers on the ingress IP.
  await waitFor('LoadBalancer reachable from the host', async () => (await run('curl', ['-s', '-m', '3', `http://${external}:8081/`])).stdout.trim() === 'hello', 60_000, 500);

  await apply(client(serverIP));
  const uid = await waitFor('client running', async () => {
    const r = await cluster.kubectl(['get', 'pod', 'client', '-o', 'jsonpath={.status.phase} {.metadata.uid}']);
    const [phase, id] = r.stdout.split(' ');
    return phase === 'Running' && id ? id : undefined;
  }, 120_000, 500);
  const { settlesOn } = clientVerdicts(join(cluster.dataDir, 'agent'), uid, async () => (await cluster.netns.run('iptables-save', ['-t', 'filter'])).stdout);
  await settlesOn('OK', 'client reaches the server with no policy');

  await apply(DENY);
  await settlesOn('FAIL', 'the deny policy blocks the client');
  const chains = (await cluster.netns.run('iptables-save', ['-t', 'filter'])).stdout;
  assert.match(chains, /-A FORWARD -m comment --comment "k3s network policy" -j K3S-NP-FORWARD/);
  // The node itself still reaches the pod (kubelet probes go this way).
  const fromNode = await cluster.netns.run('wget', ['-q', '-T', '3', '-O', '-', `http://${serverIP}:8080/`]);
  if (fromNode.code !== 127) assert.equal(fromNode.stdout.trim(), 'hello', fromNode.stderr);

  await apply(ALLOW);
  await settlesOn('OK', 'the allow policy (named port) lets the client in again');

  // Egress of the client: none allowed, then to the server pods on a port range.
  await apply(CLIENT_EGRESS(false));
  await settlesOn('FAIL', 'the client may send nothing');
  await apply(CLIENT_EGRESS(true));
  await settlesOn('OK', 'the client may reach the server pods on 8000-8100');

  const del = await cluster.kubectl(['delete', 'networkpolicy', 'deny-server', 'allow-client', 'client-egress']);
  assert.equal(del.code, 0, del.stderr);
  await waitFor('K3S-NP chains removed', async () => !(await cluster.netns.run('iptables-save', ['-t', 'filter'])).stdout.includes('K3S-NP'), 30_000, 500);
  await settlesOn('OK', 'still reachable with no policy');

  // Shutdown removes what it installed.
  await apply(DENY);
  await settlesOn('FAIL', 'denied again');
  cluster.server.child.kill('SIGTERM');
  await waitFor('server exited', () => cluster.server.child.exitCode !== null || cluster.server.child.signalCode !== null, 60_000, 200);
  const after = (await cluster.netns.run('iptables-save', ['-t', 'filter'])).stdout;
  assert.doesNotMatch(after, /K3S-NP/, 'no policy chain or jump is left after shutdown');
  // As upstream, stopping k3s leaves pods' mounts behind (k3s-killall.sh removes them): unmount
  // them here so the test's directory can go (the namespace's clean-up kills the shims).
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(cluster.dir));
  for (const m of mounts.reverse()) await run('umount', ['-l', m]);
});
