/**
 * One informer per resource for the whole process, shared by every controller that watches it
 * (client-go's SharedInformerFactory): one list+watch per resource no matter how many consumers.
 */
import type { KubeObject } from '../api/types.js';
import { Informer, type InformerOptions } from './informer.js';
import type { ApiClient, ResourceRef } from './types.js';

export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private signal: AbortSignal | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly options: Pick<InformerOptions, 'onError' | 'watchTimeoutSeconds'> = {},
  ) {}

  /** The shared informer of `ref` (all namespaces); started at once if the factory already runs. */
  for<T extends KubeObject = KubeObject>(ref: Omit<ResourceRef, 'namespace'>): Informer<T> {
    const key = `${ref.group}/${ref.version}/${ref.resource}`;
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer(this.client, { group: ref.group, version: ref.version, resource: ref.resource }, this.options);
      this.informers.set(key, informer);
      if (this.signal) void informer.start(this.signal);
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer asked for so far (and later ones as they are asked for). */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const informer of this.informers.values()) void informer.start(signal);
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  async stopped(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stopped()));
  }
}
