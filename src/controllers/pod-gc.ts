/**
 * Pod garbage collector: force-deletes pods bound to nodes that no longer exist (nobody will
 * finish their graceful deletion), terminating pods that were never bound, and the oldest
 * finished pods beyond a threshold (upstream: 12500), as kube-controller-manager's podgc.
 */
import type { KubeObject } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { isNotFound } from '../client/types.js';
import type { Controller, ControllerContext } from './controller.js';
import { sleep } from '../supervisor/sleep.js';

const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } };

export interface PodGcOptions {
  readonly periodMs?: number;
  readonly terminatedPodThreshold?: number;
}

export class PodGarbageCollector implements Controller {
  readonly name = 'pod-garbage-collector';
  private ctx!: ControllerContext;
  private pods!: Informer<Pod>;
  private nodes!: Informer;

  constructor(private readonly options: PodGcOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.pods = ctx.informers.for<Pod>(PODS);
    this.nodes = ctx.informers.for(NODES);
  }

  async run(signal: AbortSignal): Promise<void> {
    const period = this.options.periodMs ?? 20_000;
    while (!signal.aborted) {
      try {
        await this.sweep();
      } catch (err) {
        this.ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'pod GC sweep failed');
      }
      await sleep(period, signal);
    }
  }

  async sweep(): Promise<void> {
    const pods = this.pods.list();
    for (const pod of pods) {
      const nodeName = pod.spec?.nodeName;
      if (nodeName && !this.nodes.get(nodeName) && !(await this.nodeExists(nodeName))) await this.forceDelete(pod, `the node ${nodeName} no longer exists`);
      else if (!nodeName && pod.metadata?.deletionTimestamp) await this.forceDelete(pod, 'it was never scheduled');
    }
    const threshold = this.options.terminatedPodThreshold ?? 12_500;
    const finished = pods.filter((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
    if (finished.length > threshold) {
      finished.sort((a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? ''));
      for (const pod of finished.slice(0, finished.length - threshold)) await this.forceDelete(pod, `more than ${threshold} finished pods exist`);
    }
  }

  /** The informer may lag behind a node that was just created: ask before deleting. */
  private async nodeExists(name: string): Promise<boolean> {
    try {
      await this.ctx.client.get(NODES, name);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async forceDelete(pod: Pod, why: string): Promise<void> {
    try {
      await this.ctx.client.delete({ ...PODS, namespace: pod.metadata?.namespace ?? '' }, pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid ?? '' } });
      this.ctx.log.info({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, why }, 'deleted pod');
    } catch (err) {
      if (!isNotFound(err) && !String((err as Error).message).includes('Precondition failed')) throw err;
    }
  }
}
