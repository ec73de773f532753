/**
 * The agent with a real containerd, as root: registries.yaml mirrors (an image name served
 * only by a mirror on loopback behind basic auth, and the "*" mirror), lifecycle hooks
 * (postStart exec, a failing postStart, preStop httpGet and sleep inside the grace period) and
 * a gRPC liveness probe that cannot connect.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
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
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: 'default' } as const;
const BUSYBOX = 'docker.io/library/busybox:1.35.0';
const canRun = process.getuid?.() === 0;

interface PodView {
  metadata?: { uid?: string };
  status?: { phase?: string; podIP?: string; containerStatuses?: { ready: boolean; restartCount: number; imageID?: string; state: { waiting?: { reason?: string }; running?: unknown; terminated?: unknown } }[] };
}

function pod(name: string, nodeName: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image: BUSYBOX, command: ['sh', '-c', 'sleep 3600'], ...container }], ...spec } } as KubeObject;
}

test('agent as root: registries.yaml mirrors with auth, lifecycle hooks, grpc probes', { skip: !canRun && 'needs root for containerd', timeout: 300_000 }, async (t) => {
  let cleanup: () => Promise<void> = async () => {};
  t.after(() => cleanup());
  const harness = await startHarness(t);
  const client: ApiClient = harness.server.loopback();
  const dir = tempDir(t, 'k3s-agent-reg-');
  const nodeName = `agent-reg-${process.pid}`;
  const bridge = `k3sr${process.pid % 100000}`;

  // A mirror that requires basic auth and holds library/x:1, and a second open one for "*".
  const creds = { username: 'mirror-user', password: 'mirror-pw' };
  const mirror = await startRegistry(t, creds);
  const anyMirror = await startRegistry(t);
  const registriesFile = join(dir, 'registries.yaml');
  writeFileSync(
    registriesFile,
    [
      'mirrors:',
      '  mirror.example:',
      '    endpoint:',
      `      - "http://${mirror}"`,
      '  "*":',
      '    endpoint:',
      `      - "http://${anyMirror}"`,
      'configs:',
      `  "${mirror}":`,
      '    auth:',
      `      username: ${creds.username}`,
      `      password: ${creds.password}`,
      '',
    ].join('\n'),
  );

  const cli: RawSettings = new Map(
    Object.entries({ 'data-dir': join(dir, 'data'), 'node-name': nodeName, 'cluster-cidr': ['10.212.0.0/16'], 'private-registry': registriesFile } as Record<string, string | string[]>).map(([k, v]) => [k, { value: v, append: false, origin: `flag --${k}` }]),
  );
  const config = buildConfig({ role: 'server', cli, env: {}, uid: 0, home: dir, hostname: hostname() });
  const agent = new Agent(config, { client, controlPlane: true, bridge });
  const controller = new AbortController();
  cleanup = async () => {
    controller.abort();
    await agent.stopped();
  };
  await agent.start(controller.signal);
  cleanup = async () => {
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
  const layout = readFileSync(join(dir, 'data', 'agent', 'images', 'k3s-ts-busybox.tar'));
  await pushOciLayout(mirror, 'library/x', '1', layout, creds);
  await pushOciLayout(anyMirror, 'library/y', '2', layout);

  const certsDir = join(dir, 'data', 'agent', 'etc', 'containerd', 'certs.d');
  assert.match(readFileSync(join(certsDir, 'mirror.example', 'hosts.toml'), 'utf8'), new RegExp(`server = "https://mirror.example"\\n\\n\\[host."http://${mirror.replace(/\./g, '\\.')}"\\]\\n  capabilities = \\["pull", "resolve"\\]`));
  const containerdToml = readFileSync(join(dir, 'data', 'agent', 'etc', 'containerd', 'config.toml'), 'utf8');
  assert.ok(containerdToml.includes(`config_path = ${JSON.stringify(certsDir)}`));
  assert.ok(containerdToml.includes(`[plugins."io.containerd.grpc.v1.cri".registry.configs.${JSON.stringify(mirror)}.auth]`));

  const events = async (name: string): Promise<{ reason: string; message: string }[]> =>
    (await client.list(EVENTS, { fieldSelector: `involvedObject.name=${name}` })).items.map((e) => ({ reason: String(e['reason']), message: String(e['message']) }));
  const running = (name: string, what = `pod ${name} Running`): Promise<PodView> =>
    waitFor(what, async () => {
      const p = (await client.get(PODS, name)) as PodView;
      return p.status?.phase === 'Running' ? p : undefined;
    }, 90_000).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${(await events(name)).map((e) => `${e.reason}: ${e.message}`).join(' | ')}`);
    });

  // mirror.example exists nowhere: only the authenticated mirror on loopback serves it.
  await client.create(PODS, pod('mirrored', nodeName, { image: 'mirror.example/library/x:1' }));
  const mirrored = await running('mirrored');
  assert.match(mirrored.status?.containerStatuses?.[0]?.imageID ?? '', /sha256:[0-9a-f]{64}/);
  assert.ok((await events('mirrored')).some((e) => e.reason === 'Pulled' && e.message.includes('mirror.example/library/x:1')));

  // Lifecycle: postStart exec runs in the container before it counts as started.
  await client.create(PODS, pod('poststart', nodeName, { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hooked > /tmp/poststart'] } } } }));
  await running('poststart');
  const cri = new CriClient(agent.criSocket ?? '');
  t.after(() => cri.close());
  const [container] = await cri.listContainers({ labelSelector: { 'io.kubernetes.pod.name': 'poststart' }, state: 'CONTAINER_RUNNING' });
  assert.ok(container, 'the poststart container runs');
  const out = await cri.execSync(container.id, ['cat', '/tmp/poststart'], 5);
  assert.equal(out.stdout.toString(), 'hooked\n');

  // A failing postStart: FailedPostStartHook, the container is killed and restarted.
  await client.create(PODS, pod('badhook', nodeName, { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo nope; exit 3'] } } } }, { terminationGracePeriodSeconds: 1 }));
  await waitFor('badhook restarted after FailedPostStartHook', async () => (((await client.get(PODS, 'badhook')) as PodView).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 60_000);
  const failed = (await events('badhook')).find((e) => e.reason === 'FailedPostStartHook');
  assert.ok(failed, 'FailedPostStartHook event');
  assert.match(failed.message, /Exec lifecycle hook \(\["sh","-c","echo nope; exit 3"\]\) for Container "main" in Pod "badhook_default\(.*\)" failed - error: command 'sh -c echo nope; exit 3' exited with 3: nope/);

  // preStop httpGet reaches the node-side server before SIGTERM; the hook time comes out of the grace period.
  const hits: { path: string; at: number }[] = [];
  const hookServer = createServer((req, res) => {
    hits.push({ path: req.url ?? '', at: Date.now() });
    res.end('ok');
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  t.after(() => hookServer.close());
  const hookPort = (hookServer.address() as { port: number }).port;
  // The container ignores SIGTERM, so it lives until the runtime's SIGKILL at the end of the grace left.
  await client.create(PODS, pod('prestop', nodeName, { command: ['sh', '-c', "trap '' TERM; while true; do sleep 1; done"], lifecycle: { preStop: { httpGet: { host: '127.0.0.1', port: hookPort, path: '/drain' } } } }, { terminationGracePeriodSeconds: 4 }));
  await client.create(PODS, pod('presleep', nodeName, { command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"], lifecycle: { preStop: { sleep: { seconds: 3 } } } }, { terminationGracePeriodSeconds: 10 }));
  await running('prestop');
  await running('presleep');
  const deleting = Date.now();
  await client.delete(PODS, 'prestop');
  await client.delete(PODS, 'presleep');
  await waitFor('pod prestop gone', async () => client.get(PODS, 'prestop').then(() => false, () => true), 60_000);
  const prestopMs = Date.now() - deleting;
  await waitFor('pod presleep gone', async () => client.get(PODS, 'presleep').then(() => false, () => true), 60_000);
  const presleepMs = Date.now() - deleting;
  assert.equal(hits.length, 1, 'the preStop hook ran once');
  assert.equal(hits[0]?.path, '/drain');
  assert.ok(hits[0]!.at - deleting < 3000, 'preStop ran at the start of the termination');
  // 4 s grace: a TERM-ignoring container is killed when the grace period ends, not later.
  assert.ok(prestopMs >= 3500 && prestopMs < 15_000, `prestop deletion took ${prestopMs} ms`);
  // This container exits at once on SIGTERM: the deletion took the hook's 3 s, not the 10 s grace.
  assert.ok(presleepMs >= 3000 && presleepMs < 9000, `presleep deletion took ${presleepMs} ms`);

  // A gRPC liveness probe on a port nothing serves: Unhealthy with the gRPC reason, then a restart.
  await client.create(PODS, pod('grpcprobe', nodeName, { livenessProbe: { grpc: { port: 9090, service: 'demo' }, periodSeconds: 1, failureThreshold: 2 } }, { terminationGracePeriodSeconds: 1 }));
  await waitFor('grpcprobe restarted by its liveness probe', async () => (((await client.get(PODS, 'grpcprobe')) as PodView).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 60_000);
  const unhealthy = (await events('grpcprobe')).find((e) => e.reason === 'Unhealthy');
  assert.match(unhealthy?.message ?? '', /^Liveness probe failed: failed to connect service "10\.212\.0\.\d+:9090"/);

  // The "*" mirror serves any registry without a mirror of its own (containerd's _default hosts dir).
  await client.create(PODS, pod('anyhost', nodeName, { image: 'nowhere.example/library/y:2' }));
  await running('anyhost');
  t.diagnostic(`prestop deletion ${prestopMs} ms, presleep deletion ${presleepMs} ms`);
});
