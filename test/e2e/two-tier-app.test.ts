/**
 * The service-networking issue's "done when": a two-tier app, web -> api by DNS name, from
 * `kubectl apply` to a curl on the host, root and rootless. web is busybox httpd with a CGI
 * script that looks `api` up through the cluster DNS (busybox nslookup, with the pod's search
 * path: the static busybox's other applets cannot resolve names) and asks it over its
 * ClusterIP; web itself is a LoadBalancer Service (ServiceLB) that the host reaches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, run, waitFor, type RunResult } from '../helpers/index.js';
import { startRootlessCluster } from './rootless-cluster.js';
import { BUSYBOX, canRunNodeCluster, startNodeCluster } from './node-cluster.js';

const CGI = `mkdir -p /www/cgi-bin
cat > /www/cgi-bin/call <<'EOF'
#!/bin/sh
echo "Content-Type: text/plain"
echo ""
ip=$(nslookup api | awk '/^Address/ { a = $NF } END { print a }')
printf 'GET / HTTP/1.0\\r\\nHost: api\\r\\n\\r\\n' | nc "$ip" 80 | tail -n 1
EOF
chmod +x /www/cgi-bin/call
exec httpd -f -p 8080 -h /www`;

function deployment(name: string, command: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: BUSYBOX, command: ['sh', '-c', command] }] } },
    },
  };
}

function twoTierApp(webPort: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      deployment('api', 'mkdir -p /www && echo api-says-hi > /www/index.html && exec httpd -f -p 8080 -h /www'),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] } },
      deployment('web', CGI),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: webPort, targetPort: 8080 }] } },
    ],
  });
}

type Kubectl = (args: string[], input?: string) => Promise<RunResult>;

/** Applies the app and curls web's LoadBalancer address from the host until api's answer comes back through it. */
async function applyAndCurl(kubectl: Kubectl, webPort: number, hostAddress: (ingress: string) => string, diagnostics: () => string): Promise<string> {
  const applied = await kubectl(['apply', '-f', '-'], twoTierApp(webPort));
  assert.equal(applied.code, 0, applied.stderr);
  const fail = async (err: Error): Promise<never> => {
    const state = await kubectl(['get', 'pods,svc,endpointslices,events', '-o', 'wide']);
    throw new Error(`${err.message}\n${state.stdout}\n${diagnostics()}`);
  };
  const ingress = await waitFor('web EXTERNAL-IP', async () => (await kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).stdout.trim() || undefined, 90_000, 300).catch(fail);
  const url = `http://${hostAddress(ingress)}:${webPort}/cgi-bin/call`;
  let last: RunResult | undefined;
  return waitFor('web answers the host with what api said', async () => {
    last = await run('curl', ['-sS', '-m', '5', url]);
    return last.stdout.includes('api-says-hi') ? last.stdout.trim() : undefined;
  }, 120_000, 500).catch((err: Error) => fail(new Error(`${err.message}; ${url}: ${last?.stdout ?? ''} ${last?.stderr ?? ''}`)));
}

test('two-tier app (root): web -> api by DNS name, curl on the host through the LoadBalancer', { skip: !canRunNodeCluster && 'needs root', timeout: 300_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'tier' });
  const webPort = 18088;
  const body = await applyAndCurl((args, input) => cluster.kubectl(args, input !== undefined ? { input } : {}), webPort, (ingress) => ingress, () => cluster.server.output().slice(-4000));
  assert.equal(body, 'api-says-hi');
});

test('two-tier app (rootless): web -> api by DNS name, curl on the host through the LoadBalancer', { skip: !canRunNodeCluster && 'needs root to create a test user', timeout: 300_000 }, async (t) => {
  const cluster = await startRootlessCluster(t, 'k3stt', 'tt');
  if (typeof cluster === 'string') return t.skip(cluster);
  const webPort = await freePort();
  // Rootless ServiceLB publishes 127.0.0.1: rootlesskit forwards the port from the host's loopback.
  const body = await applyAndCurl(cluster.kubectl, webPort, (ingress) => {
    assert.equal(ingress, '127.0.0.1');
    return ingress;
  }, () => cluster.server.output().slice(-4000));
  assert.equal(body, 'api-says-hi');
});
