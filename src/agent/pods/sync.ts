/**
 * One pod's reconcile, level-triggered: compare the pod spec with what the runtime has and
 * take the next steps (sandbox, volumes, init containers in order, containers with restart
 * back-off, graceful termination), then write the status the runtime state implies. Safe to
 * run again at any time; the manager calls it on pod events and container state changes.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../api/types.js';
import { isNotFound, type ApiClient, type EventRecorder } from '../../client/index.js';
import { logger } from '../../log/index.js';
import type { ContainerStatus, CriClient, PodSandbox, PodSandboxConfig } from '../cri/index.js';
import { Backoff } from './backoff.js';
import { postStart, stopWithPreStop } from './lifecycle.js';
import { Prober } from './probes.js';
import { authFor } from './pull-secrets.js';
import { containerConfig, sandboxConfig, type SandboxSettings } from './cri-config.js';
import { ContainerConfigError, containerEnv, fieldValue, objectData, resourceValue, type DataLookup } from './env.js';
import { CONTAINER_NAME, MANAGED_BY, POD_NAME, POD_NAMESPACE, POD_UID } from './labels.js';
import type { ContainerSpec, Pod } from './pod-types.js';
import { exitCodeOf, finished, podStatus, readTerminationMessage, type Instances, type Waiting } from './status.js';
import { containerMounts, podDir, removePodDir, setUpVolumes, terminationLogPath, VolumeError, writeEtcHosts, etcHostsExtras } from './volumes.js';

const log = logger('kubelet');
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;

export interface SyncSettings {
  readonly nodeName: string;
  readonly nodeIP: string;
  /** <data-dir>/agent/kubelet/pods */
  readonly podsDir: string;
  readonly sandbox: SandboxSettings;
  readonly rootless: boolean;
  readonly machine: { cpus: number; memoryBytes: number };
}

/** Per-pod memory of things the runtime does not record. */
interface PodMemory {
  waiting: Map<string, Waiting>;
  failedStarts: Set<string>;
  /** Pod IP by sandbox id: it never changes for a sandbox, so it is asked for once. */
  podIPs: Map<string, string>;
}

/** Runtime objects (sandbox or container id and CRI state) as a sync last saw them. */
export type Seen = readonly { readonly id: string; readonly state: string }[];

export class PodSync {
  readonly backoff = new Backoff();
  readonly #memory = new Map<string, PodMemory>();
  readonly #prober: Prober;

  constructor(
    private readonly cri: CriClient,
    private readonly client: ApiClient,
    private readonly events: EventRecorder,
    private readonly settings: SyncSettings,
    /** Asks the manager to sync `key` again after `ms`. */
    private readonly requeue: (key: string, ms: number) => void,
  ) {
    this.#prober = new Prober(cri, events, (key) => requeue(key, 0));
  }

  #mem(uid: string): PodMemory {
    let m = this.#memory.get(uid);
    if (!m) this.#memory.set(uid, (m = { waiting: new Map(), failedStarts: new Set(), podIPs: new Map() }));
    return m;
  }

  readonly lookup: DataLookup = async (kind, namespace, name) => {
    try {
      const object = await this.client.get({ group: '', version: 'v1', resource: kind === 'configmap' ? 'configmaps' : 'secrets', namespace }, name);
      return objectData(kind, object);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  /**
   * Reconciles the pod `key` ("namespace/name"); `pod` is the informer's copy or undefined if
   * gone. Returns the sandbox and containers in the state this sync left and saw them, so the
   * relist does not queue the pod again for changes this sync made itself.
   */
  async sync(key: string, pod: Pod | undefined): Promise<Seen | undefined> {
    const slash = key.indexOf('/');
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const sandboxes = await this.cri.listPodSandbox({ labelSelector: { [POD_NAMESPACE]: namespace, [POD_NAME]: name, [MANAGED_BY]: 'true' } });
    const uid = pod?.metadata?.uid ?? '';
    // Sandboxes of an earlier pod with the same name, or of a pod that is gone.
    for (const stale of sandboxes.filter((s) => s.labels[POD_UID] !== uid)) await this.#removeSandbox(stale, 0);
    for (const staleUid of new Set(sandboxes.filter((s) => s.labels[POD_UID] !== uid).map((s) => s.labels[POD_UID] ?? ''))) this.#forget(staleUid);
    if (!pod) return undefined;
    const mine = sandboxes.filter((s) => s.labels[POD_UID] === uid).sort((a, b) => b.createdAt - a.createdAt);
    if (pod.metadata?.deletionTimestamp) {
      await this.#terminate(pod, mine);
      return undefined;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      for (const s of mine.filter((x) => x.state === 'SANDBOX_READY')) await this.cri.stopPodSandbox(s.id);
      return undefined;
    }
    return this.#run(pod, mine);
  }

  readonly #tokens = new Map<string, { token: string; issuedAtMs: number; expiresAtMs: number }>();

  /** A bound service-account token for the pod, reissued once 80% of its lifetime has passed. */
  async #token(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<{ token: string; expiresAtMs: number }> {
    const meta = pod.metadata ?? {};
    const key = `${meta.uid}/${audience ?? ''}/${expirationSeconds}`;
    const cached = this.#tokens.get(key);
    if (cached && Date.now() < cached.issuedAtMs + 0.8 * (cached.expiresAtMs - cached.issuedAtMs)) return cached;
    const sa = pod.spec.serviceAccountName || 'default';
    const response = await this.client.create(
      { group: '', version: 'v1', resource: 'serviceaccounts', namespace: meta.namespace ?? 'default' },
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { ...(audience ? { audiences: [audience] } : {}), expirationSeconds, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: meta.name, uid: meta.uid } },
      } as KubeObject,
      { subresource: 'token', name: sa },
    );
    const status = response['status'] as { token: string; expirationTimestamp: string };
    const issued = { token: status.token, issuedAtMs: Date.now(), expiresAtMs: Date.parse(status.expirationTimestamp) };
    this.#tokens.set(key, issued);
    return issued;
  }

  #forget(uid: string): void {
    for (const key of this.#tokens.keys()) if (key.startsWith(`${uid}/`)) this.#tokens.delete(key);
    if (!uid) return;
    this.#prober.forget(uid);
    this.#memory.delete(uid);
    this.backoff.forgetPrefix(`${uid}/`);
    removePodDir(podDir(this.settings.podsDir, uid));
    // Container logs go with the pod (<ns>_<name>_<uid>), as upstream's log GC does.
    try {
      for (const entry of readdirSync(this.settings.sandbox.podLogsDir)) if (entry.endsWith(`_${uid}`)) removePodDir(join(this.settings.sandbox.podLogsDir, entry));
    } catch {
      // no logs dir yet
    }
  }

  async #removeSandbox(sandbox: PodSandbox, graceSeconds: number): Promise<void> {
    const containers = await this.cri.listContainers({ podSandboxId: sandbox.id });
    await Promise.all(containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => this.cri.stopContainer(c.id, graceSeconds)));
    await this.cri.stopPodSandbox(sandbox.id);
    await this.cri.removePodSandbox(sandbox.id);
  }

  async #terminate(pod: Pod, sandboxes: PodSandbox[]): Promise<void> {
    const meta = pod.metadata!;
    this.#prober.forget(meta.uid ?? '');
    const grace = Math.max(0, Math.min(meta.deletionGracePeriodSeconds ?? 30, pod.spec.terminationGracePeriodSeconds ?? 30));
    for (const sandbox of sandboxes) {
      const containers = await this.cri.listContainers({ podSandboxId: sandbox.id });
      const running = containers.filter((c) => c.state === 'CONTAINER_RUNNING');
      for (const c of running) void this.events.event(pod, 'Normal', 'Killing', `Stopping container ${c.labels[CONTAINER_NAME] ?? c.metadata.name}`);
      const specs = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
      // A static pod, or one whose status was never written, has no podIP yet: ask the runtime.
      const podIP = pod.status?.podIP || (pod.spec.hostNetwork ? this.settings.nodeIP : running.length > 0 ? ((await this.cri.podSandboxStatus(sandbox.id).catch(() => undefined))?.network?.ip ?? '') : '');
      await Promise.all(running.map((c) => stopWithPreStop(pod, specs.find((s) => s.name === (c.labels[CONTAINER_NAME] ?? c.metadata.name)), c.id, podIP, this.cri, this.events, grace)));
      await this.#writeStatus(pod, sandbox, false);
      await this.cri.stopPodSandbox(sandbox.id);
      await this.cri.removePodSandbox(sandbox.id);
    }
    this.#forget(meta.uid ?? '');
    // A static pod has no API object of its own (its mirror has another uid): nothing to delete.
    if (meta.annotations?.['kubernetes.io/config.source'] === 'file') return;
    // The kubelet finishes a graceful deletion once nothing runs (grace 0, same uid only).
    try {
      await this.client.delete({ ...PODS, namespace: meta.namespace ?? 'default' }, meta.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: meta.uid ?? '' } });
      log.info({ pod: `${meta.namespace}/${meta.name}`, graceSeconds: grace }, 'pod terminated and deleted');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #run(pod: Pod, sandboxes: PodSandbox[]): Promise<Seen | undefined> {
    const meta = pod.metadata!;
    const uid = meta.uid ?? '';
    const key = `${meta.namespace}/${meta.name}`;
    const mem = this.#mem(uid);
    const dir = podDir(this.settings.podsDir, uid);
    let sandbox = sandboxes.find((s) => s.state === 'SANDBOX_READY');

    let volumes: Map<string, string>;
    try {
      volumes = await setUpVolumes(pod, dir, {
        lookup: this.lookup,
        field: (item) =>
          item.fieldRef
            ? fieldValue(pod, item.fieldRef.fieldPath, this.settings.nodeIP, pod.status?.podIP ?? '')
            : resourceValue([...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === item.resourceFieldRef?.containerName), item.resourceFieldRef?.resource ?? '', this.settings.machine),
        token: (p, audience, expirationSeconds) => this.#token(p, audience, expirationSeconds),
      });
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      void this.events.event(pod, 'Warning', 'FailedMount', err.message);
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) if (!mem.waiting.has(c.name)) mem.waiting.set(c.name, { reason: 'ContainerCreating' });
      await this.#writeStatus(pod, sandbox, false);
      this.requeue(key, 5000);
      return undefined;
    }

    const attempt = sandboxes.length;
    const config = sandboxConfig(pod, this.settings.sandbox, sandbox ? sandbox.metadata.attempt : attempt);
    if (!sandbox) {
      // A sandbox that died takes its containers with it: clean up and start over (upstream).
      for (const dead of sandboxes) await this.#removeSandbox(dead, 0);
      try {
        const id = await this.cri.runPodSandbox(config);
        sandbox = { id, metadata: config.metadata, state: 'SANDBOX_READY', createdAt: Date.now() * 1e6, labels: config.labels, annotations: config.annotations };
      } catch (err) {
        void this.events.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
        throw err;
      }
    }
    let podIP = pod.spec.hostNetwork ? this.settings.nodeIP : mem.podIPs.get(sandbox.id);
    if (podIP === undefined) {
      podIP = (await this.cri.podSandboxStatus(sandbox.id)).network?.ip ?? '';
      mem.podIPs.clear();
      mem.podIPs.set(sandbox.id, podIP);
    }
    const etcHosts = pod.spec.hostNetwork ? undefined : writeEtcHosts(dir, podIP, config.hostname, etcHostsExtras(pod, this.settings.sandbox.clusterDomain));

    const instances = await this.#instances(sandbox.id);
    const policy = pod.spec.restartPolicy ?? 'Always';
    const ctx = { pod, sandboxId: sandbox.id, config, volumes, dir, etcHosts, podIP, mem, key, acted: false };

    let initDone = true;
    for (const c of pod.spec.initContainers ?? []) {
      const { latest } = instances.get(c.name) ?? {};
      if (!latest) {
        await this.#start(ctx, c, 0, true);
        initDone = false;
        break;
      }
      if (!finished(latest, mem.failedStarts)) {
        initDone = false;
        break;
      }
      if (exitCodeOf(latest, mem.failedStarts) === 0) continue;
      initDone = false;
      if (policy !== 'Never') await this.#restartWithBackoff(ctx, c, latest, true);
      break;
    }
    if (initDone) {
      for (const c of pod.spec.containers) {
        const { latest } = instances.get(c.name) ?? {};
        if (!latest) {
          await this.#start(ctx, c, 0, false);
          continue;
        }
        if (!finished(latest, mem.failedStarts)) continue;
        const failed = exitCodeOf(latest, mem.failedStarts) !== 0;
        if (policy === 'Always' || (policy === 'OnFailure' && failed)) await this.#restartWithBackoff(ctx, c, latest, false);
      }
    }
    // Probes for every running container instance (a restarted one gets fresh workers). The
    // runtime is asked again only when this sync created or started something.
    const running = ctx.acted ? await this.#instances(sandbox.id) : instances;
    for (const c of pod.spec.containers) {
      const latest = running.get(c.name)?.latest;
      if (latest?.state === 'CONTAINER_RUNNING') this.#prober.ensure(pod, c, latest.id, podIP);
    }
    await this.#writeStatus(pod, sandbox, true, podIP, running);
    const seen: { id: string; state: string }[] = [{ id: sandbox.id, state: 'SANDBOX_READY' }];
    for (const { latest, previous } of running.values()) for (const c of [latest, previous]) if (c) seen.push({ id: c.id, state: c.state });
    return seen;
  }

  async #instances(sandboxId: string): Promise<Map<string, Instances>> {
    const containers = await this.cri.listContainers({ podSandboxId: sandboxId });
    const byName = new Map<string, typeof containers>();
    for (const c of containers) {
      const name = c.labels[CONTAINER_NAME] ?? c.metadata.name;
      byName.set(name, [...(byName.get(name) ?? []), c]);
    }
    const out = new Map<string, Instances>();
    for (const [name, list] of byName) {
      list.sort((a, b) => b.createdAt - a.createdAt);
      const [latest, previous] = await Promise.all(list.slice(0, 2).map((c) => this.cri.containerStatus(c.id).catch(() => undefined)));
      out.set(name, { ...(latest ? { latest } : {}), ...(previous ? { previous } : {}) });
      // Instances older than the previous one are history nobody reads: remove them.
      for (const old of list.slice(2)) await this.cri.removeContainer(old.id).catch(() => undefined);
    }
    return out;
  }

  async #restartWithBackoff(ctx: RunContext, c: ContainerSpec, latest: ContainerStatus, init: boolean): Promise<void> {
    const backoffKey = `${ctx.pod.metadata?.uid}/${c.name}`;
    const finishedMs = latest.finishedAt ? latest.finishedAt / 1e6 : Date.now();
    const remaining = this.backoff.remaining(backoffKey, finishedMs);
    const meta = ctx.pod.metadata!;
    if (remaining > 0) {
      const seconds = Math.round(this.backoff.delayMs(backoffKey) / 1000);
      ctx.mem.waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${seconds}s restarting failed container=${c.name} pod=${meta.name}_${meta.namespace}(${meta.uid})` });
      void this.events.event(ctx.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${meta.name}_${meta.namespace}(${meta.uid})`);
      this.requeue(ctx.key, remaining + 50);
      return;
    }
    this.backoff.next(backoffKey);
    const restartCount = (Number(latest.annotations['io.kubernetes.container.restartCount'] ?? '0') || 0) + 1;
    await this.#start(ctx, c, restartCount, init);
  }

  /** Pulls (per imagePullPolicy), creates and starts one container; failures become waiting reasons and events. */
  async #start(ctx: RunContext, c: ContainerSpec, restartCount: number, init: boolean): Promise<void> {
    const { pod, mem } = ctx;
    ctx.acted = true;
    const imageRef = await this.#ensureImage(ctx, c);
    if (!imageRef) return;
    if (this.settings.rootless && c.securityContext?.privileged) {
      const message = `container ${c.name} asks to be privileged, which rootless k3s cannot provide (no real root on the host); remove securityContext.privileged`;
      mem.waiting.set(c.name, { reason: 'CreateContainerConfigError', message });
      void this.events.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      return;
    }
    let envs: { key: string; value: string }[];
    try {
      envs = await containerEnv(c, { pod, hostIP: this.settings.nodeIP, podIP: ctx.podIP, lookup: this.lookup, machine: this.settings.machine });
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      mem.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: err.message });
      void this.events.event(pod, 'Warning', 'Failed', `Error: ${err.message}`);
      this.requeue(ctx.key, 5000);
      return;
    }
    let mounts;
    try {
      mounts = containerMounts(c, ctx.volumes, ctx.dir, ctx.etcHosts);
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      mem.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: err.message });
      void this.events.event(pod, 'Warning', 'Failed', `Error: ${err.message}`);
      return;
    }
    let id: string;
    try {
      id = await this.cri.createContainer(ctx.sandboxId, containerConfig(pod, c, { envs, mounts, restartCount, init, image: imageRef }), ctx.config);
    } catch (err) {
      const message = (err as Error).message;
      mem.waiting.set(c.name, { reason: 'CreateContainerError', message });
      void this.events.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      throw err;
    }
    void this.events.event(pod, 'Normal', 'Created', `Created container ${c.name}`);
    try {
      await this.cri.startContainer(id);
    } catch (err) {
      const message = (err as { details?: string }).details ?? (err as Error).message;
      mem.failedStarts.add(id);
      mem.waiting.set(c.name, { reason: 'RunContainerError', message });
      void this.events.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      this.backoff.next(`${pod.metadata?.uid}/${c.name}`);
      this.requeue(ctx.key, this.backoff.remaining(`${pod.metadata?.uid}/${c.name}`) + 50);
      return;
    }
    mem.waiting.delete(c.name);
    void this.events.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    if (!init && !(await postStart(pod, c, id, ctx.podIP, this.cri, this.events))) this.requeue(ctx.key, 0);
  }

  /** The image ref to run, or undefined when it is not available (waiting reason set). */
  async #ensureImage(ctx: RunContext, c: ContainerSpec): Promise<string | undefined> {
    const { pod, mem } = ctx;
    const policy = c.imagePullPolicy ?? (/:latest$|^[^:@]*$/.test(c.image.slice(c.image.lastIndexOf('/') + 1)) ? 'Always' : 'IfNotPresent');
    const present = await this.cri.imageStatus(c.image);
    if (present && policy !== 'Always') {
      if (mem.waiting.get(c.name)?.reason !== 'CrashLoopBackOff') void this.events.event(pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      return present.id;
    }
    if (policy === 'Never') {
      const message = `Container image "${c.image}" is not present with pull policy of Never`;
      mem.waiting.set(c.name, { reason: 'ErrImageNeverPull', message });
      void this.events.event(pod, 'Warning', 'ErrImageNeverPull', message);
      this.requeue(ctx.key, 10_000);
      return undefined;
    }
    const pullKey = `${pod.metadata?.uid}/pull/${c.name}`;
    const remaining = this.backoff.remaining(pullKey);
    if (remaining > 0) {
      mem.waiting.set(c.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` });
      void this.events.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
      this.requeue(ctx.key, remaining + 50);
      return undefined;
    }
    void this.events.event(pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
    const started = Date.now();
    try {
      const secrets = (await Promise.all((pod.spec.imagePullSecrets ?? []).map((s) => this.lookup('secret', pod.metadata?.namespace ?? 'default', s.name)))).filter((d): d is Record<string, string> => !!d);
      const ref = await this.cri.pullImage(c.image, authFor(c.image, secrets), ctx.config);
      this.backoff.reset(pullKey);
      void this.events.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in ${((Date.now() - started) / 1000).toFixed(3)}s`);
      return ref;
    } catch (err) {
      const message = `Failed to pull image "${c.image}": ${(err as { details?: string }).details ?? (err as Error).message}`;
      this.backoff.next(pullKey);
      mem.waiting.set(c.name, { reason: 'ErrImagePull', message });
      void this.events.event(pod, 'Warning', 'Failed', message);
      void this.events.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      // The next sync shows ImagePullBackOff until the back-off allows another pull.
      this.requeue(ctx.key, 1000);
      return undefined;
    }
  }

  async #writeStatus(pod: Pod, sandbox: PodSandbox | undefined, sandboxReady: boolean, podIP = pod.status?.podIP ?? '', known?: Map<string, Instances>): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const mem = this.#mem(uid);
    const instances = known ?? (sandbox ? await this.#instances(sandbox.id) : new Map<string, Instances>());
    const dir = podDir(this.settings.podsDir, uid);
    const status = podStatus({
      pod,
      instances,
      waiting: mem.waiting,
      sandboxReady: sandboxReady && !!sandbox,
      podIP,
      hostIP: this.settings.nodeIP,
      failedStarts: mem.failedStarts,
      terminationMessage: (name) => readTerminationMessage(terminationLogPath(dir, name)),
      probes: (c) => this.#prober.state(uid, c),
      now: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    // Only write what changed (by value, not key order): every write wakes the informer again.
    const current = (pod.status ?? {}) as Record<string, unknown>;
    if (Object.entries(status).every(([k, v]) => stableJson(v) === stableJson(current[k]))) return;
    try {
      await this.client.patch({ ...PODS, namespace: pod.metadata?.namespace ?? 'default' }, pod.metadata?.name ?? '', 'merge', { status } as unknown as KubeObject, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

interface RunContext {
  readonly pod: Pod;
  readonly sandboxId: string;
  readonly config: PodSandboxConfig;
  readonly volumes: Map<string, string>;
  readonly dir: string;
  readonly etcHosts: string | undefined;
  readonly podIP: string;
  readonly mem: PodMemory;
  readonly key: string;
  /** Whether this sync created or started a container (the runtime state it read is stale then). */
  acted: boolean;
}

/** JSON with object keys sorted, for comparing values regardless of key order. */
export function stableJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
