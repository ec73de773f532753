/**
 * The static pod source: the manifests directory watched (fs.watch, plus a rescan every 20 s as
 * the kubelet does, for filesystems that miss events), and each static pod's mirror pod in the
 * API: same name and spec, annotated kubernetes.io/config.mirror with the static pod's hash,
 * owned by the Node. The pod workers run static pods from here, never from the API, so they run
 * while the API server is unreachable; only the mirror and status writes wait for it. A mirror
 * deleted through the API comes back; when a file goes, its pod terminates gracefully (preStop,
 * grace period) and then the mirror is deleted.
 */
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { isNotFound, type ApiClient } from '../../client/index.js';
import type { KubeObject } from '../../api/types.js';
import { logger } from '../../log/index.js';
import { sleep } from '../../supervisor/sleep.js';
import type { Pod } from '../pods/pod-types.js';
import { CONFIG_HASH, CONFIG_MIRROR, scanManifests } from './manifests.js';

const log = logger('static-pods');
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const RESCAN_MS = 20_000;
const DEBOUNCE_MS = 100;

export function isMirrorPod(pod: KubeObject | undefined): boolean {
  return pod?.metadata?.annotations?.[CONFIG_MIRROR] !== undefined;
}

export class StaticPods {
  #pods = new Map<string, Pod>();
  #problems = new Map<string, string>();
  #nodeUid: string | undefined;
  #watcher: FSWatcher | undefined;
  #stopped: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ApiClient,
    /** <data-dir>/agent/pod-manifests */
    readonly dir: string,
    private readonly nodeName: string,
    /** Called with the key of every static pod added, changed or removed. */
    private readonly onChange: (key: string) => void,
  ) {}

  get(key: string): Pod | undefined {
    return this.#pods.get(key);
  }

  keys(): string[] {
    return [...this.#pods.keys()];
  }

  /** Scans once (so the first sync sees every static pod), then follows the directory. */
  start(signal: AbortSignal): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.rescan();
    let timer: NodeJS.Timeout | undefined;
    try {
      this.#watcher = watch(this.dir, () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.rescan(), DEBOUNCE_MS);
      });
      this.#watcher.on('error', (err) => log.warn({ err: err.message, dir: this.dir }, 'watching the pod manifests dir failed; rescanning every 20 s only'));
    } catch (err) {
      log.warn({ err: (err as Error).message, dir: this.dir }, 'cannot watch the pod manifests dir; rescanning every 20 s only');
    }
    this.#stopped = (async () => {
      while (!signal.aborted) {
        await sleep(RESCAN_MS, signal);
        if (!signal.aborted) this.rescan();
      }
      clearTimeout(timer);
      this.#watcher?.close();
    })();
  }

  stopped(): Promise<void> {
    return this.#stopped;
  }

  rescan(): void {
    const { pods, problems } = scanManifests(this.dir, this.nodeName, this.#pods);
    for (const [file, problem] of problems) if (this.#problems.get(file) !== problem) log.warn({ file }, `static pod manifest ignored: ${problem}`);
    this.#problems = problems;
    const changed = new Map<string, string>();
    for (const [key, pod] of pods) if (this.#pods.get(key)?.metadata?.uid !== pod.metadata?.uid) changed.set(key, 'static pod added or changed');
    for (const [key, old] of this.#pods) {
      if (pods.has(key)) continue;
      // A removed manifest terminates its pod as a deletion would (preStop, grace period);
      // the pod workers report back through terminated().
      if (old.metadata?.deletionTimestamp) {
        pods.set(key, old);
        continue;
      }
      const grace = old.spec.terminationGracePeriodSeconds ?? 30;
      pods.set(key, { ...old, metadata: { ...old.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: grace } });
      changed.set(key, 'static pod manifest removed; terminating the pod');
    }
    this.#pods = pods;
    for (const [key, message] of changed) {
      log.info({ pod: key }, message);
      this.onChange(key);
    }
  }

  /** The pod workers finished terminating `pod` (its manifest is gone): forget it. */
  terminated(key: string, pod: Pod): void {
    if (this.#pods.get(key) === pod && pod.metadata?.deletionTimestamp) this.#pods.delete(key);
  }

  /**
   * Makes the API agree with the static pod `key`: its mirror created (or recreated when the
   * manifest changed or someone deleted it), or a mirror without a static pod deleted.
   * `apiPod` is the informer's copy. Regular API pods are never touched.
   */
  async reconcileMirror(key: string, apiPod: Pod | undefined): Promise<void> {
    const pod = this.#pods.get(key);
    if (apiPod && !isMirrorPod(apiPod)) {
      if (pod) log.warn({ pod: key }, 'a pod that is not a mirror pod has the static pod name; no mirror pod is created');
      return;
    }
    const hash = pod?.metadata?.annotations?.[CONFIG_HASH];
    if (apiPod && (!pod || apiPod.metadata?.annotations?.[CONFIG_MIRROR] !== hash || apiPod.metadata?.deletionTimestamp)) {
      if (!pod && apiPod.spec.nodeName !== this.nodeName) return;
      try {
        await this.client.delete({ ...PODS, namespace: apiPod.metadata?.namespace ?? 'default' }, apiPod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: apiPod.metadata?.uid ?? '' } });
        log.info({ pod: key }, pod ? 'replacing an outdated mirror pod' : 'deleted the mirror pod of a removed static pod');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      apiPod = undefined;
    }
    if (!pod || apiPod) return;
    this.#nodeUid ??= (await this.client.get({ group: '', version: 'v1', resource: 'nodes' }, this.nodeName)).metadata?.uid;
    const meta = pod.metadata ?? {};
    const mirror = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: meta.name,
        namespace: meta.namespace,
        ...(meta.labels ? { labels: meta.labels } : {}),
        annotations: { ...meta.annotations, [CONFIG_MIRROR]: hash },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.#nodeUid, controller: true }],
      },
      spec: pod.spec,
    } as unknown as KubeObject;
    try {
      await this.client.create({ ...PODS, namespace: meta.namespace ?? 'default' }, mirror);
      log.info({ pod: key }, 'created the mirror pod');
    } catch (err) {
      if ((err as { status?: { reason?: string } }).status?.reason !== 'AlreadyExists') throw err;
    }
  }
}
