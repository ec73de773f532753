/**
 * The Backend on an external etcd v3 cluster. etcd already is a revisioned key-value log, so
 * this is a translation: revisions, compaction, leases and watches are etcd's own. Writes that
 * the Backend makes conditional (create, update, delete with a revision) are single etcd
 * transactions, so they stay atomic when several k3s servers share the cluster.
 *
 * Raw gRPC over rpc.proto rather than the etcd3 client library: the Backend needs etcd's exact
 * semantics (general Txn compares, watch compaction notices with the floor, revisions as
 * numbers), and the library's namespacing, retry policies and auto-resuming watchers would sit
 * between us and them.
 */
import type { Logger } from '../../log/index.js';
import { logger } from '../../log/index.js';
import { describeEndpoint, type EtcdEndpoint } from '../endpoint.js';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  LeaseNotFoundError,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  TooLargeError,
  type Backend,
  type Compare,
  type KeyValue,
  type LeaseInfo,
  type RangeOptions,
  type RangeResult,
  type TxnOp,
  type TxnResult,
  type Watch,
  type WatchListener,
  type WatchOptions,
} from '../types.js';
import { EtcdConnection, type ServiceName } from './connection.js';
import { compare, rangeRequest, rangeResult, requestOp, responseOp, toKeyValue } from './convert.js';
import { classify, isTlsRejection, unavailable } from './errors.js';
import {
  toNumber,
  type PbDeleteRangeResponse,
  type PbLeaseGrantResponse,
  type PbLeaseKeepAliveResponse,
  type PbLeaseTimeToLiveResponse,
  type PbRangeResponse,
  type PbStatusResponse,
  type PbTxnResponse,
} from './proto.js';
import { EtcdWatch } from './watch.js';
import { retryUntilReachable } from '../reach.js';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';

export interface EtcdBackendOptions {
  /** Deadline of each request. */
  readonly requestTimeoutMs?: number;
  /**
   * How long start() keeps retrying an unreachable cluster (with backoff) before failing.
   * Infinity = until close(), as a server waiting for its datastore should.
   */
  readonly startTimeoutMs?: number;
  /**
   * Compaction timer period (default 5 min; 0 = off). etcd keeps every revision until a client
   * compacts; upstream that client is kube-apiserver, here the datastore does it, as the SQL
   * drivers do. Several servers sharing a cluster compacting is harmless.
   */
  readonly compactIntervalMs?: number;
  /** Revisions kept behind the current one by timed compaction (default 1000). */
  readonly compactRetain?: number;
  readonly log?: Logger;
}

/** The single key read to learn the current revision or probe the compaction floor (never written). */
const PROBE_KEY = Buffer.from('\0k3s-revision-probe');

export class EtcdBackend implements Backend {
  readonly #connection: EtcdConnection;
  readonly #log: Logger;
  readonly #startTimeoutMs: number;
  readonly #watches = new Set<EtcdWatch>();
  /** Watches whose creation etcd has not yet confirmed; writes wait for them (see #ready). */
  readonly #pendingWatches = new Set<Promise<void>>();
  /** The highest compaction floor seen; floors only grow, so it is a safe lower bound. */
  #knownFloor = 0;
  readonly #abort = new AbortController();
  readonly #compactIntervalMs: number;
  readonly #compactRetain: number;
  #compactTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly endpoint: EtcdEndpoint,
    options: EtcdBackendOptions = {},
  ) {
    this.#log = options.log ?? logger('datastore').child({ driver: 'etcd' });
    this.#startTimeoutMs = options.startTimeoutMs ?? Infinity;
    this.#compactIntervalMs = options.compactIntervalMs ?? 5 * 60_000;
    this.#compactRetain = options.compactRetain ?? 1000;
    this.#connection = new EtcdConnection(endpoint, { requestTimeoutMs: options.requestTimeoutMs ?? 15_000, log: this.#log });
  }

  async start(): Promise<void> {
    await this.#connection.loadCredentials();
    const tlsHint = this.endpoint.tls !== undefined ? ' (for https, also check --datastore-cafile/certfile/keyfile)' : '';
    const status = await retryUntilReachable(() => this.#connection.unary<PbStatusResponse>('Maintenance', 'Status', {}, true), {
      what: describeEndpoint(this.endpoint),
      timeoutMs: this.#startTimeoutMs,
      log: this.#log,
      signal: this.#abort.signal,
      transient: (err) => classify(err) === 'unavailable' && !isTlsRejection(err),
      reason: (err) => `${unavailable('connecting', this.#connection.member, err).message}${tlsHint}`,
    });
    this.#log.info({ endpoint: describeEndpoint(this.endpoint), member: this.#connection.member, version: status.version, revision: toNumber(status.header.revision) }, 'connected to etcd');
    if (this.#compactIntervalMs > 0) {
      this.#compactTimer = setInterval(() => {
        this.compactTick().catch((err: unknown) => this.#log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'etcd compaction failed; will retry'));
      }, this.#compactIntervalMs);
      this.#compactTimer.unref();
    }
  }

  /** Compacts to `compactRetain` revisions behind the current one, when that is past the floor. */
  async compactTick(): Promise<void> {
    const target = (await this.currentRevision()) - this.#compactRetain;
    if (target <= 0 || target <= (await this.compactRevision())) return;
    await this.compact(target);
    this.#log.debug({ revision: target }, 'compacted etcd');
  }

  async close(): Promise<void> {
    clearInterval(this.#compactTimer);
    this.#abort.abort();
    for (const w of [...this.#watches]) w.cancel();
    this.#connection.close();
  }

  async currentRevision(): Promise<number> {
    const response = await this.#read<PbRangeResponse>('KV', 'Range', { key: PROBE_KEY, count_only: true }, 'reading the current revision');
    return toNumber(response.header.revision);
  }

  /**
   * etcd does not report its compaction floor directly. A read at revision r fails exactly when
   * r is below the floor, so: confirm the last floor seen (one request when nothing changed),
   * else binary-search between it and the current revision.
   */
  async compactRevision(): Promise<number> {
    const readableAt = async (revision: number): Promise<boolean> => {
      try {
        await this.#connection.unary('KV', 'Range', { key: PROBE_KEY, count_only: true, revision: String(revision) }, true);
        return true;
      } catch (err) {
        if (classify(err) === 'compacted') return false;
        throw this.#translate(err, 'probing the compaction floor');
      }
    };
    let low = Math.max(this.#knownFloor, 1);
    if (await readableAt(low)) return this.#noteFloor(low === 1 ? 0 : low);
    let high = await this.currentRevision();
    // Invariant: low is compacted, high is readable (the current revision always is).
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await readableAt(mid)) high = mid;
      else low = mid;
    }
    return this.#noteFloor(high);
  }

  async get(key: string, revision?: number): Promise<{ revision: number; kv: KeyValue | undefined }> {
    const result = await this.range({ key, ...(revision !== undefined ? { revision } : {}) });
    return { revision: result.revision, kv: result.kvs[0] };
  }

  async range(options: RangeOptions): Promise<RangeResult> {
    try {
      const response = await this.#connection.unary<PbRangeResponse>('KV', 'Range', rangeRequest(options), true);
      const result = rangeResult(response);
      // etcd's header carries the current revision; the Backend reports the revision read at.
      return options.revision !== undefined && options.revision > 0 ? { ...result, revision: options.revision } : result;
    } catch (err) {
      throw await this.#revisionError(err, options.revision ?? 0, `reading ${options.key}`);
    }
  }

  async create(key: string, value: Uint8Array, lease = 0): Promise<{ revision: number }> {
    checkSize(key, value);
    const response = await this.#write<PbTxnResponse>('Txn', {
      compare: [compare({ key, target: 'createRevision', op: '=', value: 0 })],
      success: [requestOp({ type: 'put', key, value, lease })],
      failure: [],
    }, `creating ${key}`, 'KV', lease);
    if (!response.succeeded) throw new KeyExistsError(key);
    return { revision: toNumber(response.header.revision) };
  }

  async update(key: string, value: Uint8Array, expectedRevision: number, lease = 0): Promise<{ succeeded: boolean; revision: number; kv: KeyValue | undefined }> {
    checkSize(key, value);
    const response = await this.#write<PbTxnResponse>('Txn', {
      compare: [compare({ key, target: 'modRevision', op: '=', value: expectedRevision })],
      success: [requestOp({ type: 'put', key, value, lease, prevKv: true })],
      failure: [requestOp({ type: 'range', range: { key } })],
    }, `updating ${key}`, 'KV', lease);
    const revision = toNumber(response.header.revision);
    const op = response.responses[0];
    if (!response.succeeded) {
      const current = op?.response_range?.kvs[0];
      return { succeeded: false, revision, kv: current ? toKeyValue(current) : undefined };
    }
    const prev = op?.response_put?.prev_kv;
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev ? toNumber(prev.create_revision) : revision,
      modRevision: revision,
      version: prev ? toNumber(prev.version) + 1 : 1,
      lease,
    };
    return { succeeded: true, revision, kv };
  }

  async delete(key: string, expectedRevision?: number): Promise<{ succeeded: boolean; revision: number; kv: KeyValue | undefined }> {
    const response = await this.#write<PbTxnResponse>('Txn', {
      compare: expectedRevision !== undefined ? [compare({ key, target: 'modRevision', op: '=', value: expectedRevision })] : [],
      success: [requestOp({ type: 'delete', range: { key }, prevKv: true })],
      failure: [requestOp({ type: 'range', range: { key } })],
    }, `deleting ${key}`);
    const revision = toNumber(response.header.revision);
    const op = response.responses[0];
    if (!response.succeeded) {
      const current = op?.response_range?.kvs[0];
      return { succeeded: false, revision, kv: current ? toKeyValue(current) : undefined };
    }
    const deleted = (op?.response_delete_range as PbDeleteRangeResponse | undefined)?.prev_kvs[0];
    // Deleting a missing key writes nothing in etcd (no new revision): report it as not done.
    return { succeeded: deleted !== undefined, revision, kv: deleted ? toKeyValue(deleted) : undefined };
  }

  async txn(compares: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[]): Promise<TxnResult> {
    for (const op of [...success, ...failure]) if (op.type === 'put') checkSize(op.key, op.value);
    let response: PbTxnResponse;
    try {
      response = await this.#write<PbTxnResponse>('Txn', { compare: compares.map(compare), success: success.map(requestOp), failure: failure.map(requestOp) }, 'a transaction');
    } catch (err) {
      const revision = Math.max(0, ...[...success, ...failure].map((op) => (op.type === 'range' ? op.range.revision ?? 0 : 0)));
      throw await this.#revisionError(err, revision, 'a transaction');
    }
    return { succeeded: response.succeeded, revision: toNumber(response.header.revision), results: response.responses.map(responseOp) };
  }

  watch(options: WatchOptions, listener: WatchListener): Watch {
    const watch = new EtcdWatch(this.#connection, options, listener, this.#log, (w) => this.#watches.delete(w));
    this.#watches.add(watch);
    const created = watch.open();
    this.#pendingWatches.add(created);
    void created.finally(() => this.#pendingWatches.delete(created));
    return watch;
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.#connection.unary('KV', 'Compact', { revision: String(revision), physical: false }, false);
      this.#noteFloor(revision);
    } catch (err) {
      // etcd refuses to compact at its floor too; compacting to exactly the floor is done.
      if (classify(err) === 'compacted' && (await this.compactRevision()) === revision) return;
      throw await this.#revisionError(err, revision, `compacting to ${revision}`);
    }
  }

  async leaseGrant(ttlSeconds: number, id = 0): Promise<{ id: number; ttl: number }> {
    // etcd's own lease ids use all 63 bits, beyond what a JavaScript number holds exactly; we
    // choose ids below 2^53 instead (etcd accepts client-chosen ids).
    if (id === 0) id = randomLeaseId();
    const response = await this.#write<PbLeaseGrantResponse>('LeaseGrant', { TTL: String(ttlSeconds), ID: String(id) }, 'granting a lease', 'Lease');
    if (response.error) throw new Error(`etcd refused the lease: ${response.error}`);
    return { id: toNumber(response.ID), ttl: toNumber(response.TTL) };
  }

  async leaseRevoke(id: number): Promise<void> {
    await this.#write('LeaseRevoke', { ID: String(id) }, `revoking lease ${id}`, 'Lease', id);
  }

  async leaseKeepAlive(id: number): Promise<{ ttl: number }> {
    await this.#ready();
    const client = this.#connection.clients().Lease as unknown as { LeaseKeepAlive(options: { deadline: Date }): ClientDuplexStream<{ ID: string }, PbLeaseKeepAliveResponse> };
    const stream = client.LeaseKeepAlive({ deadline: new Date(Date.now() + this.#connection.requestTimeoutMs) });
    const response = await new Promise<PbLeaseKeepAliveResponse>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
      stream.once('end', () => reject(new Error('etcd closed the keep-alive stream')));
      stream.write({ ID: String(id) });
    }).catch((err: unknown) => {
      throw this.#translate(err, `renewing lease ${id}`, id);
    }).finally(() => stream.cancel());
    // etcd answers TTL 0 (not an error) for a lease that does not exist.
    const ttl = toNumber(response.TTL);
    if (ttl <= 0) throw new LeaseNotFoundError(id);
    return { ttl };
  }

  async leaseTimeToLive(id: number): Promise<LeaseInfo> {
    const response = await this.#read<PbLeaseTimeToLiveResponse>('Lease', 'LeaseTimeToLive', { ID: String(id), keys: true }, `reading lease ${id}`);
    const remaining = toNumber(response.TTL);
    if (remaining === -1 && toNumber(response.grantedTTL) === 0) throw new LeaseNotFoundError(id);
    return { id, ttl: toNumber(response.grantedTTL), remaining, keys: response.keys.map((k) => k.toString('utf8')) };
  }

  async leases(): Promise<number[]> {
    const response = await this.#read<{ leases: { ID: string }[] }>('Lease', 'LeaseLeases', {}, 'listing leases');
    return response.leases.map((l) => toNumber(l.ID));
  }

  async dbSize(): Promise<number> {
    const status = await this.#read<PbStatusResponse>('Maintenance', 'Status', {}, 'reading the database size');
    return toNumber(status.dbSize);
  }

  // ---- helpers -----------------------------------------------------------------------------

  #noteFloor(floor: number): number {
    if (floor > this.#knownFloor) this.#knownFloor = floor;
    return floor;
  }

  /**
   * Waits until etcd has registered every watch opened so far, so a write made after watch()
   * returned is always seen by that watch, as with the in-process drivers.
   */
  async #ready(): Promise<void> {
    if (this.#pendingWatches.size > 0) await Promise.all([...this.#pendingWatches]);
  }

  async #read<Res>(service: ServiceName, method: string, request: object, action: string): Promise<Res> {
    try {
      return await this.#connection.unary<Res>(service, method, request, true);
    } catch (err) {
      throw this.#translate(err, action);
    }
  }

  async #write<Res>(method: string, request: object, action: string, service: ServiceName = 'KV', leaseId?: number): Promise<Res> {
    await this.#ready();
    try {
      return await this.#connection.unary<Res>(service, method, request, false);
    } catch (err) {
      throw this.#translate(err, action, leaseId);
    }
  }

  #translate(err: unknown, action: string, leaseId?: number): unknown {
    switch (classify(err)) {
      case 'lease-not-found':
        return new LeaseNotFoundError(leaseId ?? 0);
      case 'too-large':
        return new TooLargeError(`${action}: etcd rejected the request as too large`, { cause: err });
      case 'unavailable':
        return unavailable(action, this.#connection.member, err);
      default:
        return err;
    }
  }

  /** Compacted/future revision errors carry the floor or current revision, fetched on demand. */
  async #revisionError(err: unknown, requested: number, action: string): Promise<unknown> {
    switch (classify(err)) {
      case 'compacted':
        return new CompactedError(requested, await this.compactRevision());
      case 'future-revision':
        return new FutureRevisionError(requested, await this.currentRevision());
      default:
        return this.#translate(err, action);
    }
  }
}

function randomLeaseId(): number {
  const b = randomBytes(8);
  return (b.readUInt32BE(0) & 0x1fffff) * 2 ** 32 + b.readUInt32BE(4) || 1;
}

function checkSize(key: string, value: Uint8Array): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new TooLargeError(`key of ${Buffer.byteLength(key)} bytes is over the ${MAX_KEY_BYTES}-byte limit`);
  if (value.byteLength > MAX_VALUE_BYTES) throw new TooLargeError(`value of ${value.byteLength} bytes for ${key} is over the ${MAX_VALUE_BYTES}-byte limit`);
}

