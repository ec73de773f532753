/**
 * The pod workers: an informer on this node's pods (fieldSelector spec.nodeName), a work queue
 * keyed "namespace/name" (one worker per pod at a time), and a relist of the runtime every
 * second (upstream's PLEG) that queues pods whose containers changed state, so exits and
 * crashes are noticed without the API. Sandboxes whose pod is gone are found the same way.
 */
import { Informer, objectKey, WorkQueue, type ApiClient } from '../../client/index.js';
import { logger } from '../../log/index.js';
import type { CriClient } from '../cri/index.js';
import { sleep } from '../../supervisor/sleep.js';
import { MANAGED_BY, podKeyOf } from './labels.js';
import type { Pod } from './pod-types.js';
import type { PodSync, Seen } from './sync.js';
import { isMirrorPod, type StaticPods } from '../static-pods/index.js';

const log = logger('kubelet');
const RELIST_MS = 1000;
const RESYNC_MS = 30_000;
const WORKERS = 8;

export class PodManager {
  readonly informer: Informer<Pod>;
  readonly queue = new WorkQueue({ baseMs: 500, maxMs: 30_000 });
  #states = new Map<string, string>();
  #stopped: Promise<void> = Promise.resolve();

  constructor(
    client: ApiClient,
    private readonly cri: CriClient,
    private readonly sync: PodSync,
    nodeName: string,
    /** Static pods: run from their manifests, ahead of what the API says under the same key. */
    private readonly statics?: StaticPods,
  ) {
    this.informer = new Informer<Pod>(client, { group: '', version: 'v1', resource: 'pods' }, {
      fieldSelector: `spec.nodeName=${nodeName}`,
      onError: (err) => log.warn({ err }, 'watching pods failed; retrying'),
    });
    const enqueue = (pod: Pod): void => this.queue.add(objectKey(pod));
    // Status-only updates are mostly our own writes: reacting to them would hide short-lived
    // states (ErrImagePull) and double the runtime calls. The relist covers runtime changes.
    const onUpdate = (pod: Pod, old: Pod): void => {
      if (desired(pod) !== desired(old)) enqueue(pod);
    };
    this.informer.addHandlers({ onAdd: enqueue, onUpdate, onDelete: enqueue });
  }

  requeue(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.informer.start(signal);
    await this.informer.waitForSync();
    const workers = this.queue.run(WORKERS, (key) => this.#syncKey(key), signal, (key, err) => log.warn({ pod: key, err: (err as Error).message }, 'syncing pod failed; will retry'));
    const relist = this.#relistLoop(signal);
    this.#stopped = Promise.all([workers, relist, this.informer.stopped()]).then(() => undefined);
  }

  stopped(): Promise<void> {
    return this.#stopped;
  }

  async #syncKey(key: string): Promise<void> {
    const fromApi = this.informer.get(key);
    if (!this.statics) return this.#saw(key, await this.sync.sync(key, fromApi));
    const staticPod = this.statics.get(key);
    // The runtime first: a static pod runs whether or not the API can be reached.
    this.#saw(key, await this.sync.sync(key, staticPod ?? (isMirrorPod(fromApi) ? undefined : fromApi)));
    if (staticPod?.metadata?.deletionTimestamp) this.statics.terminated(key, staticPod);
    await this.statics.reconcileMirror(key, fromApi);
  }

  /**
   * A sync's own changes (the sandbox and containers it just started) need no second sync: the
   * relist compares with what the sync saw, so only later changes (an exit) queue the pod.
   */
  #saw(key: string, seen: Seen | undefined): void {
    for (const { id, state } of seen ?? []) this.#states.set(id, `${state}|${key}`);
  }

  /** One relist: queue pods whose runtime state changed, and pods (gone or not) that own sandboxes. */
  async relist(): Promise<void> {
    const [containers, sandboxes] = await Promise.all([this.cri.listContainers({ labelSelector: { [MANAGED_BY]: 'true' } }), this.cri.listPodSandbox({ labelSelector: { [MANAGED_BY]: 'true' } })]);
    const next = new Map<string, string>();
    for (const c of containers) next.set(c.id, `${c.state}|${podKeyOf(c.labels) ?? ''}`);
    for (const s of sandboxes) next.set(s.id, `${s.state}|${podKeyOf(s.labels) ?? ''}`);
    for (const [id, state] of next) {
      if (this.#states.get(id) !== state) {
        const key = state.slice(state.indexOf('|') + 1);
        if (key) this.queue.add(key);
      }
    }
    // Sandboxes of pods this node no longer has: their worker removes them.
    for (const s of sandboxes) {
      const key = podKeyOf(s.labels);
      if (key && !this.informer.get(key) && !this.statics?.get(key)) this.queue.add(key);
    }
    this.#states = next;
  }

  async #relistLoop(signal: AbortSignal): Promise<void> {
    let lastResync = Date.now();
    while (!signal.aborted) {
      try {
        await this.relist();
      } catch (err) {
        if (!signal.aborted) log.warn({ err: (err as Error).message }, 'relisting the runtime failed');
      }
      if (Date.now() - lastResync > RESYNC_MS) {
        lastResync = Date.now();
        for (const pod of this.informer.list()) this.queue.add(objectKey(pod));
        for (const key of this.statics?.keys() ?? []) this.queue.add(key);
      }
      await sleep(RELIST_MS, signal);
    }
  }
}

/** What the kubelet acts on: the spec and the metadata that changes behaviour, not status. */
function desired(pod: Pod): string {
  const m = pod.metadata ?? {};
  return JSON.stringify([pod.spec, m.uid, m.deletionTimestamp, m.deletionGracePeriodSeconds, m.labels, m.annotations]);
}
