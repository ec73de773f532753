/**
 * Rootless: a LoadBalancer Service shows 127.0.0.1 as EXTERNAL-IP and answers on the host's
 * loopback through rootlesskit, and a NetworkPolicy denies then allows traffic between two pods on
 * the bridge inside rootlesskit's namespace (br_netfilter's setting is per namespace there too).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, run, waitFor } from '../helpers/index.js';
import { client, clientVerdicts, DENY, serverAndService } from './netpol-fixtures.js';
import { startRootlessCluster } from './rootless-cluster.js';

const canRun = process.getuid?.() === 0;

test('rootless: LoadBalancer on the host loopback, NetworkPolicy enforced inside the namespace', { skip: !canRun && 'needs root to create a test user', timeout: 300_000 }, async (t) => {
  const cluster = await startRootlessCluster(t, 'k3snp', 'np');
  if (typeof cluster === 'string') return t.skip(cluster);
  const { user, kubectl, fail } = cluster;
  const lbPort = await freePort();
  const apply = async (yaml: string): Promise<void> => {
    const r = await kubectl(['apply', '-f', '-'], yaml);
    assert.equal(r.code, 0, r.stderr);
  };

  await apply(serverAndService(lbPort));
  const serverIP = await waitFor('server running', async () => {
    const [phase, ip] = (await kubectl(['get', 'pod', 'server', '-o', 'jsonpath={.status.phase} {.status.podIP}'])).stdout.split(' ');
    return phase === 'Running' && ip ? ip : undefined;
  }, 120_000, 500).catch(fail);
  await waitFor('EXTERNAL-IP 127.0.0.1', async () => (await kubectl(['get', 'svc', 'web', '--no-headers'])).stdout.trim().split(/\s+/)[3] === '127.0.0.1', 60_000, 500).catch(fail);
  await waitFor('the LoadBalancer answers on the host loopback', async () => (await run('curl', ['-s', '-m', '3', `http://127.0.0.1:${lbPort}/`])).stdout.trim() === 'hello', 60_000, 500).catch(fail);

  await apply(client(serverIP));
  const uid = await waitFor('client running', async () => {
    const [phase, id] = (await kubectl(['get', 'pod', 'client', '-o', 'jsonpath={.status.phase} {.metadata.uid}'])).stdout.split(' ');
    return phase === 'Running' && id ? id : undefined;
  }, 120_000, 500).catch(fail);
  const { settlesOn } = clientVerdicts(join(user.home, '.rancher/k3s/agent'), uid, async () => `--- server output ---\n${cluster.server.output().slice(-6000)}`);
  await settlesOn('OK', 'client reaches the server');
  await apply(DENY);
  await settlesOn('FAIL', 'the deny policy blocks the client inside the rootless namespace');
  assert.equal((await kubectl(['delete', 'networkpolicy', 'deny-server'])).code, 0);
  await settlesOn('OK', 'allowed again once the policy is gone');
  assert.equal((await kubectl(['delete', 'pods', '--all', '--grace-period=0', '--force'])).code, 0);
});
