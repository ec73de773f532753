/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection: so that two
 * servers sharing one datastore never run the same controller at once. The holder renews every
 * retry period; others take over only after they have seen the lease unchanged for a whole
 * lease duration (by their own clock, so clock skew between servers does not matter). A leader
 * that cannot renew within the renew deadline stops leading before anyone else may start.
 */
import type { KubeObject } from '../api/types.js';
import { isConflict, isNotFound, isAlreadyExists, type ApiClient } from '../client/types.js';
import { sleep } from '../supervisor/sleep.js';

export interface LeaderElectionOptions {
  readonly name: string;
  readonly namespace?: string;
  /** Unique per process, e.g. "<hostname>_<random>". */
  readonly identity: string;
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly onError?: (err: unknown) => void;
  readonly now?: () => Date;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
type Lease = KubeObject & { spec?: LeaseSpec };

const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' } as const;

/** RFC 3339 with microseconds, the MicroTime format of Lease times. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Campaigns until `signal` aborts; while this process leads, `lead(leading)` runs with a signal
 * that aborts when leadership is lost or `signal` aborts. After losing, it campaigns again.
 */
export async function runWithLeaderElection(client: ApiClient, options: LeaderElectionOptions, signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void> | void): Promise<void> {
  const election = new LeaderElection(client, options);
  while (!signal.aborted) {
    const acquired = await election.acquire(signal);
    if (!acquired) return;
    const leading = new AbortController();
    const stop = (): void => leading.abort();
    signal.addEventListener('abort', stop, { once: true });
    const leadDone = Promise.resolve(lead(leading.signal)).catch((err: unknown) => options.onError?.(err));
    await election.renewUntilLost(leading.signal);
    leading.abort();
    signal.removeEventListener('abort', stop);
    await leadDone;
    if (signal.aborted) await election.release();
  }
}

export class LeaderElection {
  private readonly ref;
  private readonly duration: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly now: () => Date;
  /** The last lease content seen and when (our clock): takeover waits a full duration from it. */
  private observed: { record: string; at: number } | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly options: LeaderElectionOptions,
  ) {
    this.ref = { ...LEASES, namespace: options.namespace ?? 'kube-system' };
    this.duration = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryMs = options.retryPeriodMs ?? 2_000;
    this.now = options.now ?? (() => new Date());
  }

  /** Resolves true once this process holds the lease, false if `signal` aborted first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) return true;
      await sleep(this.retryMs, signal);
    }
    return false;
  }

  /** Renews every retry period; resolves when a renewal has not succeeded within the renew deadline or `signal` aborts. */
  async renewUntilLost(signal: AbortSignal): Promise<void> {
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.retryMs, signal);
      if (signal.aborted) return;
      if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.renewDeadlineMs) return;
    }
  }

  /** Gives the lease up so another server can take over at once (on clean shutdown). */
  async release(): Promise<void> {
    try {
      const lease = await this.client.get<Lease>(this.ref, this.options.name);
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime(this.now());
      await this.client.update<Lease>(this.ref, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now } });
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const me = this.options.identity;
    try {
      let lease: Lease;
      try {
        lease = await this.client.get<Lease>(this.ref, this.options.name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.client.create<Lease>(this.ref, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.options.name, namespace: this.ref.namespace },
          spec: { holderIdentity: me, leaseDurationSeconds: this.duration, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      }
      const spec = lease.spec ?? {};
      const record = JSON.stringify(spec);
      if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
      const held = spec.holderIdentity && spec.holderIdentity !== me;
      const expired = Date.now() - this.observed.at > (spec.leaseDurationSeconds ?? this.duration) * 1000;
      if (held && !expired) return false;
      const transition = spec.holderIdentity !== me;
      await this.client.update<Lease>(this.ref, {
        ...lease,
        spec: {
          holderIdentity: me,
          leaseDurationSeconds: this.duration,
          acquireTime: transition ? microTime(now) : (spec.acquireTime ?? microTime(now)),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (transition && spec.holderIdentity ? 1 : 0),
        },
      });
      return true;
    } catch (err) {
      // Conflict / AlreadyExists: another server wrote first; it leads for now.
      if (!isConflict(err) && !isAlreadyExists(err)) this.options.onError?.(err);
      return false;
    }
  }
}
