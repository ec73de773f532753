/**
 * Static pods with a real containerd, as root: a manifest in <data-dir>/agent/pod-manifests runs
 * as <name>-<node> with a mirror pod in the API (config.mirror annotation, owned by the Node,
 * status written to it); a deleted mirror comes back without restarting the pod; an edited
 * manifest replaces the pod; a removed one terminates it gracefully (preStop) and deletes the
 * mirror; and a manifest
 * added while the API cannot be reached still runs, its mirror following once the API is back.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, CriClient } from '../../../src/agent/index.js';
import type { ApiClient } from '../../../src/client/index.js';
import { buildConfig, type RawSettings } from '../../../src/config/index.js';
import { tempDir, waitFor } from '../../helpers/index.js';
import { startHarness } from '../apiserver/harness.js';
import { assertRuntimeGone, cleanUpRuntime } from './runtime-cleanup.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' } as const;
const canRun = process.getuid?.() === 0;

function manifest(name: string, command: string, label = 'one', preStopSleep?: number): string {
  const hook = preStopSleep === undefined ? '' : `    lifecycle:\n      preStop:\n        sleep:\n          seconds: ${preStopSleep}\n`;
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    version: ${label}
spec:
  terminationGracePeriodSeconds: 10
  containers:
  - name: main
    image: docker.io/library/busybox:1.35.0
    command: ["sh", "-c", ${JSON.stringify(command)}]
${hook}`;
}

interface MirrorView {
  metadata?: { uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  status?: { phase?: string; containerStatuses?: { restartCount: number; containerID?: string }[] };
}

/** The API as seen across a network that can be cut: every call fails while `down` is set. */
function partitionable(client: ApiClient): { client: ApiClient; setDown(down: boolean): void } {
  let down = false;
  const wrapped = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (down ? Promise.reject(new Error('connect ECONNREFUSED (test: API unreachable)')) : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  return { client: wrapped, setDown: (d) => (down = d) };
}

test('static pods: run from pod-manifests, mirrored in the API, edited, removed, and run without the API', { skip: !canRun && 'needs root for containerd', timeout: 300_000 }, async (t) => {
  let cleanup: () => Promise<void> = async () => {};
  t.after(() => cleanup());
  const harness = await startHarness(t);
  const api: ApiClient = harness.server.loopback();
  const net = partitionable(api);
  const dir = tempDir(t, 'k3s-static-');
  const dataDir = join(dir, 'data');
  const manifests = join(dataDir, 'agent', 'pod-manifests');
  mkdirSync(manifests, { recursive: true });
  writeFileSync(join(manifests, 'web.yaml'), manifest('web', 'echo static; sleep 3600'));
  writeFileSync(join(manifests, '.hidden.yaml'), manifest('hidden', 'sleep 3600'));
  writeFileSync(join(manifests, 'broken.yaml'), 'apiVersion: v1\nkind: Service\n');
  const nodeName = `static-${process.pid}`;
  const bridge = `k3ss${process.pid % 100000}`;
  const cli: RawSettings = new Map(Object.entries({ 'data-dir': dataDir, 'node-name': nodeName, 'cluster-cidr': ['10.213.0.0/16'] } as Record<string, string | string[]>).map(([k, v]) => [k, { value: v, append: false, origin: `flag --${k}` }]));
  const config = buildConfig({ role: 'server', cli, env: {}, uid: 0, home: dir, hostname: hostname() });
  const agent = new Agent(config, { client: net.client, controlPlane: true, bridge });
  const controller = new AbortController();
  cleanup = async () => {
    controller.abort();
    await agent.stopped();
  };
  await agent.start(controller.signal);
  cleanup = async () => {
    net.setDown(false);
    rmSync(manifests, { recursive: true, force: true });
    const cri = new CriClient(agent.criSocket ?? '');
    await waitFor('runtime empty', async () => (await cri.listPodSandbox()).length === 0, 20_000).catch(() => undefined);
    cri.close();
    await cleanUpRuntime(agent.criSocket ?? '', bridge);
    controller.abort();
    await agent.stopped();
    // Anything started between the clean-up above and the agent's stop fails the test here.
    await assertRuntimeGone(agent.criSocket ?? '');
  };
  const cri = new CriClient(agent.criSocket ?? '');
  t.after(() => cri.close());
  const name = `web-${nodeName}`;
  const mirrorRunning = (what: string, check: (m: MirrorView) => boolean = () => true): Promise<MirrorView> =>
    waitFor(what, async () => {
      const m = (await api.get(PODS, name).catch(() => undefined)) as MirrorView | undefined;
      return m?.status?.phase === 'Running' && check(m) ? m : undefined;
    }, 60_000);

  const first = await mirrorRunning('mirror pod Running');
  const hash = first.metadata?.annotations?.['kubernetes.io/config.mirror'];
  assert.match(hash ?? '', /^[0-9a-f]{32}$/);
  assert.equal(first.metadata?.annotations?.['kubernetes.io/config.hash'], hash);
  assert.equal(first.metadata?.annotations?.['kubernetes.io/config.source'], 'file');
  assert.deepEqual(first.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.controller]), [['Node', nodeName, true]]);
  assert.equal(first.metadata?.labels?.['version'], 'one');
  const sandboxes = await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': name } });
  assert.equal(sandboxes.length, 1);
  assert.equal(sandboxes[0]?.metadata.uid, hash, 'the runtime runs the static pod (its uid is the manifest hash)');
  assert.equal((await api.list(PODS)).items.filter((p) => /hidden|broken/.test(p.metadata?.name ?? '')).length, 0, 'hidden and invalid manifests are ignored');

  // Deleting the mirror through the API: it comes back; the static pod is not restarted.
  const containerId = first.status?.containerStatuses?.[0]?.containerID;
  await api.delete(PODS, name);
  const again = await mirrorRunning('mirror pod recreated', (m) => m.metadata?.uid !== first.metadata?.uid);
  assert.equal(again.status?.containerStatuses?.[0]?.containerID, containerId);
  assert.equal(again.status?.containerStatuses?.[0]?.restartCount, 0);

  // Editing the manifest makes a new pod: new hash, a new sandbox, the mirror replaced.
  writeFileSync(join(manifests, 'web.yaml'), manifest('web', "trap 'exit 0' TERM; echo edited; while true; do sleep 1; done", 'two', 2));
  const edited = await mirrorRunning('mirror pod of the edited manifest', (m) => m.metadata?.labels?.['version'] === 'two');
  assert.notEqual(edited.metadata?.annotations?.['kubernetes.io/config.mirror'], hash);
  await waitFor('only the new sandbox left', async () => {
    const list = await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': name } });
    return list.length === 1 && list[0]?.metadata.uid === edited.metadata?.annotations?.['kubernetes.io/config.mirror'];
  }, 30_000);

  // Removing the manifest terminates the pod like a deletion (its 2 s preStop sleep, then
  // SIGTERM, which this container obeys at once: well inside the 10 s grace), then the mirror goes.
  const removing = Date.now();
  rmSync(join(manifests, 'web.yaml'));
  await waitFor('static pod gone from the runtime', async () => (await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': name } })).length === 0, 30_000);
  const removeMs = Date.now() - removing;
  assert.ok(removeMs >= 2000 && removeMs < 9000, `removal took ${removeMs} ms`);
  await waitFor('mirror pod deleted', async () => api.get(PODS, name).then(() => false, () => true), 30_000);

  // With the API unreachable a new manifest still runs; its mirror appears once the API is back.
  net.setDown(true);
  writeFileSync(join(manifests, 'offline.yaml'), manifest('offline', 'sleep 3600'));
  const offline = `offline-${nodeName}`;
  await waitFor('offline static pod running in the runtime', async () => {
    const [sandbox] = await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': offline } });
    if (!sandbox) return false;
    return (await cri.listContainers({ podSandboxId: sandbox.id, state: 'CONTAINER_RUNNING' })).length === 1;
  }, 60_000);
  assert.equal(await api.get(PODS, offline).then(() => true, () => false), false, 'no mirror while the API is unreachable');
  net.setDown(false);
  await waitFor('offline mirror pod Running', async () => ((await api.get(PODS, offline).catch(() => undefined)) as MirrorView | undefined)?.status?.phase === 'Running', 60_000);
});
