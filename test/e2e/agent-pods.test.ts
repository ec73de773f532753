/**
 * `k3s server` with its agent (no --disable-agent), as root, driven by the real kubectl: the
 * node turns Ready, a busybox pod runs, a crashing one reaches CrashLoopBackOff, a missing
 * image gives ErrImagePull/ImagePullBackOff, and delete with a grace period stops the pod.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { containerdPaths } from '../../src/agent/index.js';
import { freePort, K3S_BIN, run, spawnTracked, tempDir, waitFor, type RunResult } from '../helpers/index.js';
import { cleanUpRuntime } from '../integration/agent/runtime-cleanup.js';
import { podOnNode } from './pod-manifest.js';

const canRun = process.getuid?.() === 0;

test('k3s server runs pods on its own node, driven by kubectl', { skip: !canRun && 'needs root for containerd', timeout: 300_000 }, async (t) => {
  // After-hooks run in registration order: pods go before the server and the temp dir.
  let cleanup: () => Promise<void> = async () => {};
  t.after(() => cleanup());
  const dir = tempDir(t, 'k3s-e2e-agent-');
  const port = await freePort();
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const node = `e2e-agent-${process.pid}`;
  const dataDir = join(dir, 'data');
  const started = Date.now();
  const server = spawnTracked(t, process.execPath, [K3S_BIN, 'server', '-d', dataDir, '--https-listen-port', String(port), '--write-kubeconfig', kubeconfig, '--node-name', node], {
    env: { ...process.env, K3S_LOG_FORMAT: 'json' },
  });
  const socket = containerdPaths(dataDir, { rootless: false }).socket;
  const cacheDir = join(dir, 'kube-cache');
  const kubectl = (args: string[], input?: string): Promise<RunResult> =>
    run('kubectl', args, { ...(input !== undefined ? { input } : {}), env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, HOME: cacheDir } });
  cleanup = async () => {
    await kubectl(['delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false']);
    await waitFor('pods removed from the runtime', async () => !existsSync(socket) || (await run('ctr', ['--address', socket, '-n', 'k8s.io', 'tasks', 'ls', '-q'])).stdout.trim() === '', 30_000).catch(() => undefined);
    await cleanUpRuntime(socket);
  };
  await waitFor('k3s is up', () => {
    if (server.child.exitCode !== null) throw new Error(`k3s server exited with ${server.child.exitCode}:\n${server.output()}`);
    return server.output().includes('"k3s is up"') && existsSync(kubeconfig);
  }, 60_000, 50);

  await waitFor('kubectl get nodes: Ready', async () => {
    const r = await kubectl(['get', 'nodes', '--no-headers']);
    return new RegExp(`^${node}\\s+Ready\\s+control-plane,master`, 'm').test(r.stdout);
  }, 30_000, 100);
  const readyMs = Date.now() - started;

  const createdAt = Date.now();
  const applied = await kubectl(['apply', '-f', '-'], podOnNode('sleeper', node, 'echo started; sleep 3600', { grace: 30 }));
  assert.equal(applied.code, 0, applied.stderr);
  await waitFor('pod sleeper Running 1/1', async () => /^sleeper\s+1\/1\s+Running\s+0/m.test((await kubectl(['get', 'pod', 'sleeper', '--no-headers'])).stdout), 60_000, 100);
  const runningMs = Date.now() - createdAt;
  const ip = (await kubectl(['get', 'pod', 'sleeper', '-o', 'jsonpath={.status.podIP}'])).stdout;
  assert.match(ip, /^10\.42\.0\.\d+$/);

  await kubectl(['apply', '-f', '-'], podOnNode('crasher', node, 'echo bye; exit 3', { grace: 30 }));
  await waitFor('pod crasher in CrashLoopBackOff', async () => /^crasher\s+0\/1\s+CrashLoopBackOff\s+[1-9]/m.test((await kubectl(['get', 'pod', 'crasher', '--no-headers'])).stdout), 60_000, 200);
  const describe = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crasher', '-o', 'jsonpath={.items[*].reason}']);
  assert.match(describe.stdout, /BackOff/);

  await kubectl(['apply', '-f', '-'], podOnNode('nowhere', node, 'true', { grace: 30, image: '127.0.0.1:9/missing/image:1' }));
  const seen = new Set<string>();
  await waitFor('pod nowhere: ErrImagePull then ImagePullBackOff', async () => {
    const m = /^nowhere\s+0\/1\s+(\S+)/m.exec((await kubectl(['get', 'pod', 'nowhere', '--no-headers'])).stdout);
    if (m) seen.add(m[1]!);
    return seen.has('ErrImagePull') && seen.has('ImagePullBackOff');
  }, 60_000, 100).catch(async (err: unknown) => {
    throw new Error(`${(err as Error).message}; seen ${[...seen].join(',')}; pod: ${(await kubectl(['get', 'pod', 'nowhere', '-o', 'yaml'])).stdout}`);
  });

  const deleting = Date.now();
  const deleted = await kubectl(['delete', 'pod', 'sleeper', '--grace-period=3']);
  assert.equal(deleted.code, 0, deleted.stderr);
  const deleteMs = Date.now() - deleting;
  assert.match(deleted.stdout, /pod "sleeper" deleted/);
  assert.ok(deleteMs >= 2500 && deleteMs < 10_000, `sh as PID 1 ignores SIGTERM, so the 3 s grace period runs out: took ${deleteMs} ms`);
  t.diagnostic(`server start -> node Ready ${readyMs} ms; pod create -> Running (kubectl poll) ${runningMs} ms; delete --grace-period=3 ${deleteMs} ms`);
});
