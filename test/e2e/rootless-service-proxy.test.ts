/**
 * Rootless: a Service's NodePort and LoadBalancer port, forwarded from the host by rootlesskit's
 * builtin port driver (which connects to 127.0.0.1:port inside the namespaces), reach the pod
 * through the service proxy's rules in rootlesskit's network namespace: a curl on the host gets
 * the pod's answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, run, waitFor } from '../helpers/index.js';
import { startRootlessCluster } from './rootless-cluster.js';

const canRun = process.getuid?.() === 0;

test('rootless: a curl on the host reaches the pod through the LoadBalancer port and the node port', { skip: !canRun && 'needs root to create a test user', timeout: 300_000 }, async (t) => {
  const cluster = await startRootlessCluster(t, 'k3spx', 'px');
  if (typeof cluster === 'string') return t.skip(cluster);
  const { server, kubectl } = cluster;
  const lbPort = await freePort();
  const fail = async (err: Error): Promise<never> => {
    const state = await kubectl(['get', 'pods,svc,endpointslices,events', '-o', 'wide']);
    throw new Error(`${err.message}\n${state.stdout}\n--- server output ---\n${server.output().slice(-6000)}`);
  };

  const applied = await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'docker.io/library/busybox:1.35.0', command: ['sh', '-c', 'mkdir -p /www && echo hello-rootless > /www/index.html && exec httpd -f -p 8080 -h /www'] }] },
            },
          },
        },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: lbPort, targetPort: 8080 }] } },
      ],
    }),
  );
  assert.equal(applied.code, 0, applied.stderr);
  await waitFor('a ready endpoint', async () => /\d+\.\d+\.\d+\.\d+:8080/.test((await kubectl(['get', 'endpoints', 'web', '--no-headers'])).stdout), 90_000, 300).catch(fail);
  const nodePort = Number((await kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).stdout);
  // ServiceLB publishes 127.0.0.1 as the ingress in rootless mode (as upstream); without it
  // running in this build, the test writes the same status itself.
  const ingress = (await kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}'])).stdout;
  if (!ingress.includes('127.0.0.1')) {
    const patched = await kubectl(['patch', 'svc', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}']);
    assert.equal(patched.code, 0, patched.stderr);
  }

  const curl = (hostPort: number) => run('curl', ['-sS', '-m', '5', `http://127.0.0.1:${hostPort}/`]);
  const viaLb = await waitFor('the LoadBalancer port answers on the host', async () => {
    const r = await curl(lbPort);
    return r.stdout.trim() === 'hello-rootless' ? r : undefined;
  }, 30_000, 500).catch(async (err: Error) => fail(new Error(`${err.message}: ${(await curl(lbPort)).stderr}`)));
  assert.equal(viaLb.stdout.trim(), 'hello-rootless');
  const viaNodePort = await waitFor('the node port answers on the host', async () => {
    const r = await curl(nodePort);
    return r.stdout.trim() === 'hello-rootless' ? r : undefined;
  }, 30_000, 500).catch(async (err: Error) => fail(new Error(`${err.message}: ${(await curl(nodePort)).stderr}`)));
  assert.equal(viaNodePort.stdout.trim(), 'hello-rootless');

  // What the kernel allowed inside rootlesskit's namespace, for the record.
  const facts = server.output().split('\n').find((l) => l.includes('service proxy starting'));
  t.diagnostic(`proxy in rootlesskit's namespace: ${facts ?? '(no startup line)'}`);

  // Scaled to zero: refused at once through the forward too (rootlesskit closes the host side).
  const scaled = await kubectl(['scale', 'deployment', 'web', '--replicas=0']);
  assert.equal(scaled.code, 0, scaled.stderr);
  await waitFor('no answer once scaled to zero', async () => (await curl(lbPort)).code !== 0, 60_000, 500);
  const started = Date.now();
  const refused = await curl(lbPort);
  assert.notEqual(refused.code, 0);
  assert.ok(Date.now() - started < 4000, `the refusal took ${Date.now() - started} ms`);
});
