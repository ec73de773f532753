/**
 * The agent against a real API server (SQLite) and a real containerd + runc + CNI, as root:
 * the node registers and turns Ready, pods with spec.nodeName run busybox, crash into
 * CrashLoopBackOff, fail to pull into ErrImagePull/ImagePullBackOff, and stop on delete.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, CriClient } from '../../../src/agent/index.js';
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/index.js';
import { buildConfig, type RawSettings } from '../../../src/config/index.js';
import { tempDir, waitFor } from '../../helpers/index.js';
import { startHarness } from '../apiserver/harness.js';
import { pushOciLayout, startRegistry } from './registry.js';
import { assertRuntimeGone, cleanUpRuntime } from './runtime-cleanup.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const BUSYBOX = 'docker.io/library/busybox:1.35.0';
const canRun = process.getuid?.() === 0;

function pod(name: string, nodeName: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image: BUSYBOX, ...container }], ...spec } } as KubeObject;
}

interface PodView {
  status?: { phase?: string; podIP?: string; hostIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { ready: boolean; started?: boolean; restartCount: number; state: { waiting?: { reason?: string; message?: string }; running?: unknown; terminated?: { exitCode: number } } }[]; initContainerStatuses?: { state: { terminated?: { exitCode: number } } }[] };
}

test('agent as root: node Ready, pods run, crash, fail to pull or start, probes, survive a containerd kill and stop on delete', { skip: !canRun && 'needs root for containerd', timeout: 240_000 }, async (t) => {
  // node:test runs after-hooks in registration order: the runtime must be cleaned up (through
  // containerd, while its data dir exists) before the API server and temp dirs go away.
  let cleanup: () => Promise<void> = async () => {};
  t.after(() => cleanup());
  const harness = await startHarness(t);
  const client: ApiClient = harness.server.loopback();
  const dir = tempDir(t, 'k3s-agent-');
  const nodeName = `agent-it-${process.pid}`;
  const bridge = `k3sit${process.pid % 100000}`;
  const cli: RawSettings = new Map(
    Object.entries({ 'data-dir': join(dir, 'data'), 'node-name': nodeName, 'cluster-cidr': ['10.211.0.0/16'], 'node-label': ['tier=test'], 'node-taint': [] } as Record<string, string | string[]>).map(([k, v]) => [k, { value: v, append: false, origin: `flag --${k}` }]),
  );
  const config = buildConfig({ role: 'server', cli, env: {}, uid: 0, home: dir, hostname: hostname() });
  const agent = new Agent(config, { client, controlPlane: true, bridge });
  const controller = new AbortController();
  const started = Date.now();
  cleanup = async () => {
    controller.abort();
    await agent.stopped();
  };
  await agent.start(controller.signal);
  cleanup = async () => {
    // Pods first (a failed test leaves crashing and pulling pods that would get new
    // sandboxes), then whatever the runtime still holds, then the agent and containerd.
    const left = await client.list(PODS).catch(() => ({ items: [] as KubeObject[] }));
    await Promise.all(left.items.map((p) => client.delete(PODS, p.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined)));
    const cri = new CriClient(agent.criSocket ?? '');
    await waitFor('runtime empty', async () => (await cri.listPodSandbox()).length === 0, 20_000).catch(() => undefined);
    cri.close();
    await cleanUpRuntime(agent.criSocket ?? '', bridge);
    controller.abort();
    await agent.stopped();
    // Anything started between the clean-up above and the agent's stop fails the test here.
    await assertRuntimeGone(agent.criSocket ?? '');
  };

  // The node: registered, labelled, with a pod CIDR and Ready once CNI is loaded.
  const node = await waitFor('node Ready', async () => {
    const n = await client.get(NODES, nodeName);
    const ready = (n['status'] as { conditions?: { type: string; status: string }[] }).conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'True' ? n : undefined;
  }, 30_000);
  const readyMs = Date.now() - started;
  const labels = node.metadata?.labels ?? {};
  assert.equal(labels['kubernetes.io/hostname'], nodeName);
  assert.equal(labels['node-role.kubernetes.io/control-plane'], 'true');
  assert.equal(labels['tier'], 'test');
  assert.equal((node['spec'] as { podCIDR?: string }).podCIDR, '10.211.0.0/24');
  const status = node['status'] as { capacity: Record<string, string>; nodeInfo: Record<string, string> };
  assert.equal(status.capacity['pods'], '110');
  assert.match(status.nodeInfo['containerRuntimeVersion']!, /^containerd:\/\//);
  assert.match(status.nodeInfo['kubeletVersion']!, /^v1\.32\.0\+k3s-ts/);
  const lease = await waitFor('node lease', () => client.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' }, nodeName).catch(() => undefined), 15_000);
  assert.equal((lease['spec'] as { holderIdentity?: string }).holderIdentity, nodeName);

  // A running pod with env from a ConfigMap, a configMap volume and an init container.
  await client.create({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { greeting: 'hello' } } as KubeObject);
  const createdAt = Date.now();
  await client.create(
    PODS,
    pod(
      'web',
      nodeName,
      {
        command: ['sh', '-c', 'echo "$GREETING from $POD_NAME"; cat /config/greeting; echo; sleep 3600'],
        env: [
          { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
        volumeMounts: [
          { name: 'config', mountPath: '/config' },
          { name: 'info', mountPath: '/info' },
        ],
      },
      {
        volumes: [
          { name: 'config', configMap: { name: 'settings' } },
          { name: 'info', projected: { sources: [{ configMap: { name: 'settings', items: [{ key: 'greeting', path: 'hello.txt' }] } }, { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }] } },
        ],
        initContainers: [{ name: 'prepare', image: BUSYBOX, command: ['true'] }],
      },
    ),
  );
  const running = await waitFor('pod web Running and Ready', async () => {
    const p = (await client.get(PODS, 'web')) as PodView;
    const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    return p.status?.phase === 'Running' && ready ? p : undefined;
  }, 60_000);
  const runMs = Date.now() - createdAt;
  assert.match(running.status?.podIP ?? '', /^10\.211\.0\.\d+$/);
  assert.equal(running.status?.initContainerStatuses?.[0]?.state.terminated?.exitCode, 0);
  assert.equal(running.status?.containerStatuses?.[0]?.ready, true);
  const logDir = join(dir, 'data', 'agent', 'logs', 'pods');
  const podLogs = await waitFor('container log', () => {
    const sub = readdirSync(logDir).find((d) => d.startsWith('default_web_'));
    const text = sub ? readFileSync(join(logDir, sub, 'main', '0.log'), 'utf8') : '';
    return /stdout F hello\n/.test(text) ? text : undefined;
  }, 10_000);
  assert.match(podLogs, /stdout F hello from web\n.*stdout F hello\n/s, 'env from the ConfigMap and fieldRef, then the configMap volume file');
  const volumeDir = join(dir, 'data', 'agent', 'kubelet', 'pods', String((running as KubeObject).metadata?.uid ?? ''), 'volumes', 'kubernetes.io~projected', 'info');
  assert.equal(readFileSync(join(volumeDir, 'hello.txt'), 'utf8'), 'hello');
  assert.equal(readFileSync(join(volumeDir, 'name'), 'utf8'), 'web');

  // A container that exits 1 at once goes into CrashLoopBackOff with a growing restart count.
  await client.create(PODS, pod('crash', nodeName, { command: ['sh', '-c', 'exit 1'] }));
  const crashing = await waitFor('pod crash in CrashLoopBackOff', async () => {
    const p = (await client.get(PODS, 'crash')) as PodView;
    const s = p.status?.containerStatuses?.[0];
    return s?.state.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
  }, 60_000);
  assert.ok(crashing.restartCount >= 1, `restartCount ${crashing.restartCount}`);
  assert.match(crashing.state.waiting?.message ?? '', /back-off 10s restarting failed container=main/);

  // An image nobody has: ErrImagePull, then ImagePullBackOff.
  await client.create(PODS, pod('missing', nodeName, { image: '127.0.0.1:9/nothing/here:1.0' }));
  const reasons = new Set<string>();
  await waitFor('pod missing in ImagePullBackOff after ErrImagePull', async () => {
    const p = (await client.get(PODS, 'missing')) as PodView;
    const reason = p.status?.containerStatuses?.[0]?.state.waiting?.reason;
    if (reason) reasons.add(reason);
    return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff');
  }, 60_000, 50);
  assert.equal(((await client.get(PODS, 'missing')) as PodView).status?.phase, 'Pending');

  // Probes: readiness over HTTP turns the container ready only once httpd answers; a failing
  // liveness probe (tcpSocket on a closed port) restarts the container.
  await client.create(PODS, pod('probed', nodeName, {
    command: ['sh', '-c', 'sleep 2; mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www'],
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
  }));
  const notReadyYet = await waitFor('pod probed running', async () => {
    const p = (await client.get(PODS, 'probed')) as PodView;
    const s = p.status?.containerStatuses?.[0];
    return s?.state.running ? s : undefined;
  }, 30_000, 50);
  assert.equal(notReadyYet.ready, false, 'running but not ready before httpd answers');
  await waitFor('pod probed Ready', async () => ((await client.get(PODS, 'probed')) as PodView).status?.containerStatuses?.[0]?.ready === true, 30_000);
  await client.create(PODS, pod('unhealthy', nodeName, {
    command: ['sh', '-c', 'sleep 3600'],
    livenessProbe: { tcpSocket: { port: 9 }, periodSeconds: 1, failureThreshold: 2 },
  }, { terminationGracePeriodSeconds: 1 }));
  await waitFor('pod unhealthy restarted by its liveness probe', async () => (((await client.get(PODS, 'unhealthy')) as PodView).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 60_000);

  // A command that does not exist: RunContainerError with the runtime's message.
  await client.create(PODS, pod('badcmd', nodeName, { command: ['/no/such/binary'] }));
  const bad = await waitFor('pod badcmd RunContainerError', async () => {
    const p = (await client.get(PODS, 'badcmd')) as PodView;
    const w = p.status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'RunContainerError' ? w : undefined;
  }, 30_000, 50);
  assert.match(bad.message ?? '', /no such file or directory/);

  // containerd killed mid-run: restarted by the agent, the running pod survives, new pods run.
  const before = agent.containerd?.pid;
  process.kill(before ?? 0, 'SIGKILL');
  await waitFor('containerd restarted', () => (agent.containerd?.restarts ?? 0) >= 1 && agent.containerd?.pid !== before, 30_000);
  await client.create(PODS, pod('after-restart', nodeName, { command: ['sh', '-c', 'sleep 3600'] }));
  await waitFor('pod after-restart Running', async () => ((await client.get(PODS, 'after-restart')) as PodView).status?.phase === 'Running', 60_000);
  const web = (await client.get(PODS, 'web')) as PodView;
  assert.equal(web.status?.containerStatuses?.[0]?.restartCount, 0, 'the running pod was not restarted');
  assert.equal(web.status?.phase, 'Running');

  // A pull from a real registry on loopback (Debian's docker-registry), pull policy Always.
  const registry = await startRegistry(t);
  await pushOciLayout(registry, 'demo/box', '2.0', readFileSync(join(dir, 'data', 'agent', 'images', 'k3s-ts-busybox.tar')));
  await client.create(PODS, pod('pulled', nodeName, { image: `${registry}/demo/box:2.0`, imagePullPolicy: 'Always', command: ['sh', '-c', 'sleep 3600'] }));
  const pulled = await waitFor('pod pulled Running', async () => {
    const p = (await client.get(PODS, 'pulled')) as PodView & { status?: { containerStatuses?: { imageID?: string }[] } };
    return p.status?.phase === 'Running' ? p : undefined;
  }, 60_000);
  assert.match(pulled.status?.containerStatuses?.[0]?.imageID ?? '', /sha256:[0-9a-f]{64}/);
  const events = await client.list({ group: '', version: 'v1', resource: 'events', namespace: 'default' }, { fieldSelector: 'involvedObject.name=pulled' });
  const pullEvents = events.items.map((e) => String(e['reason']));
  assert.ok(pullEvents.includes('Pulling') && pullEvents.includes('Pulled'), `events: ${pullEvents.join(',')}`);

  // A registry behind basic auth: without credentials the pull fails, with an imagePullSecret it works.
  const creds = { username: 'puller', password: 'pull-secret-pw' };
  const secured = await startRegistry(t, creds);
  await pushOciLayout(secured, 'private/box', '3.0', readFileSync(join(dir, 'data', 'agent', 'images', 'k3s-ts-busybox.tar')), creds);
  await client.create({ group: '', version: 'v1', resource: 'secrets', namespace: 'default' }, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'regcred', namespace: 'default' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [secured]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } })).toString('base64') },
  } as KubeObject);
  await client.create(PODS, pod('no-creds', nodeName, { image: `${secured}/private/box:3.0`, command: ['sleep', '3600'] }));
  await client.create(PODS, pod('with-creds', nodeName, { image: `${secured}/private/box:3.0`, command: ['sleep', '3600'] }, { imagePullSecrets: [{ name: 'regcred' }] }));
  await waitFor('pod with-creds Running', async () => ((await client.get(PODS, 'with-creds')) as PodView).status?.phase === 'Running', 60_000).catch(async (err: Error) => {
    const failures = (await client.list({ group: '', version: 'v1', resource: 'events', namespace: 'default' }, { fieldSelector: 'involvedObject.name=with-creds' })).items.map((e) => String(e['message']));
    throw new Error(`${err.message}: ${failures.join(' | ')}`);
  });
  const denied = await waitFor('pod no-creds fails to pull', async () => {
    const w = ((await client.get(PODS, 'no-creds')) as PodView).status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'ErrImagePull' || w?.reason === 'ImagePullBackOff' ? w : undefined;
  }, 30_000, 50);
  assert.ok(denied, 'pulling without credentials is refused');

  // Delete with a grace period: the container gets SIGTERM, the kubelet finishes the deletion.
  const deleting = Date.now();
  await client.delete(PODS, 'web', { gracePeriodSeconds: 5 });
  await waitFor('pod web gone', async () => client.get(PODS, 'web').then(() => false, () => true), 30_000);
  const deleteMs = Date.now() - deleting;
  await waitFor('the pod logs gone with the pod', () => readdirSync(logDir).every((d) => !d.startsWith('default_web_')), 5000).catch((err: Error) => {
    const left = readdirSync(logDir).filter((d) => d.startsWith('default_web_'));
    throw new Error(`${err.message}: ${left.map((d) => `${d}: ${readdirSync(join(logDir, d)).join(',')}`).join('; ')}`);
  });
  // Force-deleting the rest leaves nothing behind in the runtime.
  for (const name of ['crash', 'missing', 'badcmd', 'after-restart', 'probed', 'unhealthy', 'pulled', 'no-creds', 'with-creds']) await client.delete(PODS, name, { gracePeriodSeconds: 0 });
  const cri = new CriClient(agent.criSocket ?? '');
  try {
    await waitFor('no sandboxes left', async () => (await cri.listPodSandbox()).length === 0, 30_000);
  } finally {
    cri.close();
  }
  t.diagnostic(`node Ready after ${readyMs} ms; pod Running after ${runMs} ms; deleted after ${deleteMs} ms`);
  assert.ok(deleteMs < 8000, `busybox sh exits on SIGTERM, deletion took ${deleteMs} ms`);
});
