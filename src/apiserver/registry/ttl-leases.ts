/**
 * Time-to-live for stored objects (upstream's --event-ttl, 1 h): events are written with a
 * datastore lease, so the datastore deletes them (and watchers see DELETED) when it runs out;
 * every write of an event renews it by attaching a newer lease. As upstream's lease manager, one
 * lease is shared by the writes of a short window (5 % of the TTL, at most a minute) instead of
 * one lease per write, so an event lives between ttl and ttl + that window.
 */
import type { ResourceInfo } from '../../api/types.js';
import { LeaseNotFoundError, type Backend } from '../../datastore/types.js';

const REUSE_FRACTION = 0.05;
const MAX_REUSE_SECONDS = 60;

export class TtlLeases {
  #current: { id: number; expiresAt: number } | undefined;
  #granting: Promise<number> | undefined;

  constructor(
    private readonly backend: Backend,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether objects of this resource expire (events of both API groups share one storage). */
  applies(info: ResourceInfo): boolean {
    return this.ttlSeconds > 0 && info.resource === 'events' && (info.group === '' || info.group === 'events.k8s.io');
  }

  /** A lease that outlives now + ttl by at most the reuse window. */
  async lease(): Promise<number> {
    const reuse = Math.min(MAX_REUSE_SECONDS, Math.floor(this.ttlSeconds * REUSE_FRACTION));
    const now = this.now();
    const cur = this.#current;
    if (cur && now + this.ttlSeconds * 1000 < cur.expiresAt && now + (this.ttlSeconds + reuse) * 1000 >= cur.expiresAt) return cur.id;
    // Writes arriving together share one grant.
    this.#granting ??= this.backend
      .leaseGrant(this.ttlSeconds + reuse)
      .then(({ id, ttl }) => {
        this.#current = { id, expiresAt: now + ttl * 1000 };
        return id;
      })
      .finally(() => {
        this.#granting = undefined;
      });
    return this.#granting;
  }

  /** Runs a write with a lease; a lease that vanished (revoked, clock jump) is replaced once. */
  async write<T>(fn: (lease: number) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.lease());
    } catch (err) {
      if (!(err instanceof LeaseNotFoundError)) throw err;
      this.#current = undefined;
      return fn(await this.lease());
    }
  }
}
