/**
 * Records core/v1 Events about objects, as components do upstream (what `kubectl describe` and
 * `kubectl get events` show). Repeats of the same event (same object, type, reason, message and
 * source) within the dedup window update one Event's count and lastTimestamp instead of creating
 * another, like client-go's event correlator. Recording never throws: events are best effort.
 */
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from './types.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  readonly component: string;
  readonly host?: string;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  at: number;
}

const EVENTS = { group: '', version: 'v1', resource: 'events' } as const;
const DEDUP_WINDOW_MS = 10 * 60 * 1000;
const MAX_REMEMBERED = 4096;

export class EventRecorder {
  private readonly recent = new Map<string, Recorded>();

  constructor(
    private readonly client: ApiClient,
    private readonly source: EventSource,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records an event about `object`; resolves when written (or failed, reported to onError). */
  async event(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = object.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const involved = {
      kind: object.kind,
      apiVersion: object.apiVersion,
      name: meta.name,
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
    };
    const key = JSON.stringify([involved.kind, involved.namespace, involved.name, involved.uid, type, reason, message, this.source.component]);
    const now = this.now();
    const timestamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const previous = this.recent.get(key);
    try {
      if (previous && now.getTime() - previous.at < DEDUP_WINDOW_MS) {
        previous.count++;
        previous.at = now.getTime();
        await this.client.patch({ ...EVENTS, namespace: previous.namespace }, previous.name, 'merge', { count: previous.count, lastTimestamp: timestamp });
        return;
      }
      // Upstream names events <object>.<hex nanoseconds>.
      const name = `${meta.name ?? 'unknown'}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`;
      await this.client.create({ ...EVENTS, namespace }, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: involved,
        reason,
        message,
        type,
        source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
        count: 1,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        eventTime: null,
        reportingComponent: this.source.component,
        reportingInstance: this.source.host ?? '',
      });
      this.remember(key, { name, namespace, count: 1, firstTimestamp: timestamp, at: now.getTime() });
    } catch (err) {
      // The event may have expired (TTL) meanwhile: forget it so the next one is created anew.
      this.recent.delete(key);
      this.onError(err);
    }
  }

  private remember(key: string, recorded: Recorded): void {
    if (this.recent.size >= MAX_REMEMBERED) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.recent.set(key, recorded);
  }
}
