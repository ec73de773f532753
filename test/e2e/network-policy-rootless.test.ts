/**
 * Rootless: a LoadBalancer Service shows 127.0.0.1 as EXTERNAL-IP and answers on the host's
 * loopback through rootlesskit, and a NetworkPolicy denies then allows traffic between two pods on
 * the bridge inside rootlesskit's namespace (br_netfilter's setting is per namespace there too).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, run, waitFor } from '../helpers/index.js';
import { startRootlessCluster } from './rootless-cluster.js';

const BUSYBOX = 'docker.io/library/busybox:1.35.0';
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

  await apply(`
apiVersion: v1
kind: Pod
metadata: { name: server, labels: { app: server } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: httpd
    image: ${BUSYBOX}
    command: [sh, -c, "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: LoadBalancer
  selector: { app: server }
  ports: [{ port: ${lbPort}, targetPort: 8080 }]
`);
  const serverIP = await waitFor('server running', async () => {
    const [phase, ip] = (await kubectl(['get', 'pod', 'server', '-o', 'jsonpath={.status.phase} {.status.podIP}'])).stdout.split(' ');
    return phase === 'Running' && ip ? ip : undefined;
  }, 120_000, 500).catch(fail);
  await waitFor('EXTERNAL-IP 127.0.0.1', async () => (await kubectl(['get', 'svc', 'web', '--no-headers'])).stdout.trim().split(/\s+/)[3] === '127.0.0.1', 60_000, 500).catch(fail);
  await waitFor('the LoadBalancer answers on the host loopback', async () => (await run('curl', ['-s', '-m', '3', `http://127.0.0.1:${lbPort}/`])).stdout.trim() === 'hello', 60_000, 500).catch(fail);

  await apply(`
apiVersion: v1
kind: Pod
metadata: { name: client, labels: { app: client } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: loop
    image: ${BUSYBOX}
    command:
    - sh
    - -c
    - |
      while true; do
        if printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${serverIP} 8080 | grep -q hello; then echo OK; else echo FAIL; fi
        sleep 0.5
      done
`);
  const uid = await waitFor('client running', async () => {
    const [phase, id] = (await kubectl(['get', 'pod', 'client', '-o', 'jsonpath={.status.phase} {.metadata.uid}'])).stdout.split(' ');
    return phase === 'Running' && id ? id : undefined;
  }, 120_000, 500).catch(fail);
  const logDir = join(user.home, '.rancher/k3s/agent/logs/pods', `default_client_${uid}`, 'loop');
  const lines = (): string[] => (existsSync(logDir) ? readdirSync(logDir).sort().flatMap((f) => readFileSync(join(logDir, f), 'utf8').split('\n')).map((l) => l.split(' ').at(-1)!).filter((w) => w === 'OK' || w === 'FAIL') : []);
  const settlesOn = (want: string, what: string): Promise<boolean> => {
    const from = lines().length;
    return waitFor(what, () => {
      const recent = lines().slice(from);
      return recent.length >= 3 && recent.slice(-3).every((l) => l === want);
    }, 60_000, 500).catch((err: Error) => fail(new Error(`${err.message}; client log tail: ${lines().slice(-10).join(' ')}`)));
  };
  await settlesOn('OK', 'client reaches the server');
  await apply(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-server }
spec:
  podSelector: { matchLabels: { app: server } }
  policyTypes: [Ingress]
`);
  await settlesOn('FAIL', 'the deny policy blocks the client inside the rootless namespace');
  assert.equal((await kubectl(['delete', 'networkpolicy', 'deny-server'])).code, 0);
  await settlesOn('OK', 'allowed again once the policy is gone');
  assert.equal((await kubectl(['delete', 'pods', '--all', '--grace-period=0', '--force'])).code, 0);
});
