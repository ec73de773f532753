/**
 * One Backend watch on one etcd Watch stream. etcd delivers events in revision order, several
 * revisions per response; the listener gets one call per revision. A broken stream (member
 * restart, network blip) is reopened from the revision after the last one delivered, so the
 * listener sees every event exactly once; after `maxReconnects` consecutive failures the watch
 * ends with the error. A start revision below etcd's compaction floor ends it with
 * CompactedError, as the Backend contract asks.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '../../log/index.js';
import { CompactedError, type KeyValue, type Watch, type WatchEvent, type WatchListener, type WatchOptions } from '../types.js';
import type { EtcdConnection } from './connection.js';
import { unavailable } from './errors.js';
import { toNumber, type PbKeyValue, type PbWatchRequest, type PbWatchResponse } from './proto.js';
import { toKeyValue } from './convert.js';

type WatchStream = ClientDuplexStream<PbWatchRequest, PbWatchResponse>;

const RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000, 8000];

export class EtcdWatch implements Watch {
  #stream: WatchStream | undefined;
  #cancelled = false;
  /** The next revision the listener has not seen (0 until the first event: "from now"). */
  #nextRevision: number;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: EtcdConnection,
    private readonly options: WatchOptions,
    private readonly listener: WatchListener,
    private readonly log: Logger,
    private readonly onEnd: (watch: EtcdWatch) => void,
  ) {
    this.#nextRevision = options.startRevision ?? 0;
  }

  /** Opens the stream; resolves when etcd has registered the watch (events from then on are seen). */
  open(): Promise<void> {
    return new Promise((resolveCreated) => {
      this.#open(resolveCreated);
    });
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    clearTimeout(this.#timer);
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.cancel();
    this.onEnd(this);
  }

  #open(onCreated?: () => void): void {
    if (this.#cancelled) {
      onCreated?.();
      return;
    }
    let stream: WatchStream;
    try {
      const client = this.connection.clients().Watch as unknown as { Watch(): WatchStream };
      stream = client.Watch();
    } catch (err) {
      onCreated?.();
      this.#fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#stream = stream;
    let created = false;
    stream.on('data', (response: PbWatchResponse) => {
      if (stream !== this.#stream) return;
      if (response.created && !created) {
        created = true;
        this.#failures = 0;
        // "From now" becomes a concrete revision, so a reconnect resumes without a gap.
        if (this.#nextRevision === 0) this.#nextRevision = toNumber(response.header.revision) + 1;
        onCreated?.();
      }
      const compactRevision = toNumber(response.compact_revision);
      if (compactRevision > 0) {
        this.#end(new CompactedError(this.#nextRevision, compactRevision));
        return;
      }
      if (response.canceled) {
        this.#end(new Error(`etcd cancelled the watch on ${this.options.key}: ${response.cancel_reason || 'no reason given'}`));
        return;
      }
      if (response.events.length > 0) this.#deliver(response);
    });
    const broken = (err: Error | undefined): void => {
      if (stream !== this.#stream || this.#cancelled) return;
      this.#stream = undefined;
      if (!created) onCreated?.();
      this.#failures++;
      if (this.#failures > RECONNECT_DELAYS_MS.length) {
        this.#end(unavailable(`watch on ${this.options.key}`, this.connection.member, err ?? new Error('stream ended')));
        return;
      }
      this.connection.rotate();
      const delay = RECONNECT_DELAYS_MS[this.#failures - 1] ?? 8000;
      this.log.warn({ key: this.options.key, resumeFrom: this.#nextRevision, delayMs: delay, err: err?.message }, 'etcd watch stream broke; reopening');
      this.#timer = setTimeout(() => this.#open(), delay);
    };
    stream.on('error', (err: Error) => broken(err));
    stream.on('end', () => broken(undefined));
    stream.write({
      create_request: {
        key: Buffer.from(this.options.key),
        ...(this.options.rangeEnd !== undefined ? { range_end: Buffer.from(this.options.rangeEnd) } : {}),
        start_revision: String(this.#nextRevision),
        prev_kv: this.options.prevKv === true,
      },
    });
  }

  #deliver(response: PbWatchResponse): void {
    let batch: WatchEvent[] = [];
    let batchRevision = 0;
    const flush = (): void => {
      if (batch.length === 0 || this.#cancelled) return;
      this.#nextRevision = batchRevision + 1;
      const events = batch;
      batch = [];
      this.listener.onEvents(events);
    };
    for (const event of response.events) {
      const revision = toNumber(event.kv.mod_revision);
      if (revision !== batchRevision) flush();
      batchRevision = revision;
      batch.push(toEvent(event.type, event.kv, event.prev_kv, this.options.prevKv === true));
    }
    flush();
  }

  #end(error: Error): void {
    if (this.#cancelled) return;
    this.cancel();
    this.listener.onError(error);
  }

  #fail(error: Error): void {
    this.#end(error);
  }
}

function toEvent(type: 'Put' | 'Delete', kv: PbKeyValue, prev: PbKeyValue | null, wantPrev: boolean): WatchEvent {
  const prevKv: KeyValue | undefined = wantPrev && prev !== null ? toKeyValue(prev) : undefined;
  if (type === 'Delete') {
    const deleted: KeyValue = {
      key: kv.key.toString('utf8'),
      value: new Uint8Array(0),
      createRevision: prevKv?.createRevision ?? 0,
      modRevision: toNumber(kv.mod_revision),
      version: 0,
      lease: 0,
    };
    return prevKv !== undefined ? { type: 'delete', kv: deleted, prevKv } : { type: 'delete', kv: deleted };
  }
  const put = toKeyValue(kv);
  return prevKv !== undefined ? { type: 'put', kv: put, prevKv } : { type: 'put', kv: put };
}
