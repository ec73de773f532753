/**
 * Pod egress from a root node in its own network namespace: a pod reaches a server on the other
 * side of the node's network (the host end of the namespace's veth, which has no route to the
 * pod CIDR) and the server sees the node's address, through the agent's one masquerade chain for
 * the pod CIDR; no iptables chain is made per pod.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { freePort, waitFor } from '../helpers/index.js';
import { canRunNodeCluster, startNodeCluster } from './node-cluster.js';
import { podOnNode } from './pod-manifest.js';

test('a pod reaches a server outside the node, seen from the node address; no per-pod masquerade chains', { skip: !canRunNodeCluster && 'needs root for containerd', timeout: 300_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'egress' });
  const { hostIP, nodeIP } = cluster.netns;
  const peers: string[] = [];
  const server = createServer((socket: Socket) => {
    peers.push(socket.remoteAddress?.replace(/^::ffff:/, '') ?? '');
    socket.end('hello-from-outside\n');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, hostIP, resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));

  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await cluster.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await kubectl(['apply', '-f', '-'], podOnNode('egress', cluster.node, `until nc -w 2 ${hostIP} ${port} > /tmp/answer; do sleep 1; done; cat /tmp/answer; sleep 3600`, { grace: 1 }));
  await waitFor('the pod got the outside server\'s answer', async () => (await cluster.kubectl(['logs', 'egress'])).stdout.includes('hello-from-outside'), 90_000);
  assert.ok(peers.length > 0);
  assert.equal(peers[0], nodeIP, `the server saw ${peers.join(', ')}`);

  const nat = (await cluster.netns.run('iptables-save', ['-t', 'nat'])).stdout;
  assert.match(nat, /^-A POSTROUTING -s 10\.42\.0\.0\/24 .*-j K3S-POD-MASQ$/m);
  assert.doesNotMatch(nat, /-j CNI-[0-9a-f]{24}/, 'no per-pod chain from the bridge plugin');
});
