/**
 * The service proxy of one node (upstream's kube-proxy in iptables mode), run in-process with
 * the agent. Level-triggered: informer events only mark the state dirty; a sync computes the
 * whole desired rule set from the caches and writes what differs with one
 * `iptables-restore --noflush`, at most once per minSyncIntervalMs (bursts of endpoint changes,
 * e.g. a rollout, become one write). A periodic full rewrite repairs rules changed behind our
 * back. On shutdown every chain and jump it made is removed.
 */
import { performance } from 'node:perf_hooks';
import type { ApiClient } from '../client/index.js';
import { Informer } from '../client/index.js';
import { logger } from '../log/index.js';
import type { Runnable } from '../supervisor/runnable.js';
import { sleep } from '../supervisor/sleep.js';
import { Conntrack, type ConntrackCleaner } from './conntrack.js';
import { Iptables, type IptablesRunner } from './iptables.js';
import { servicePorts, type EndpointSlice, type Service, type ServicePort } from './model.js';
import { prepareNodeNetwork, type NodeNetworkFacts } from './node-setup.js';
import { appliedFrom, buildRules, cleanupInput, JUMPS, restoreInput, SERVICE_CHAIN, TOP_CHAINS, type Applied } from './rules.js';

const log = logger('proxy');

const SERVICES = { group: '', version: 'v1', resource: 'services' } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } as const;

export interface ServiceProxyOptions {
  readonly client: ApiClient;
  readonly nodeName: string;
  /** The cluster's pod CIDR (first --cluster-cidr). */
  readonly clusterCidr?: string;
  /** Minimum time between two syncs (upstream's --iptables-min-sync-period, default 1 s). */
  readonly minSyncIntervalMs?: number;
  /** Full rewrite of every chain this often (upstream's --iptables-sync-period, 30 s). */
  readonly fullSyncIntervalMs?: number;
  /** Test seams: the iptables runner, the conntrack tool, the /proc/sys root. */
  readonly iptables?: IptablesRunner;
  readonly conntrack?: ConntrackCleaner;
  readonly procSys?: string;
}

export class ServiceProxy implements Runnable {
  readonly name = 'proxy';
  #stopped: Promise<void> = Promise.resolve();
  #dirty = true;
  #wake: (() => void) | undefined;
  #applied: Applied | undefined;
  /** UDP endpoints per virtual target at the last sync, for conntrack clean-up. */
  #udpEndpoints = new Map<string, { target: { ip?: string; port: number }; ips: Set<string> }>();
  #facts: NodeNetworkFacts | undefined;
  #syncs = 0;

  constructor(private readonly options: ServiceProxyOptions) {}

  /** What the kernel settings turned out to be (after start). */
  get facts(): NodeNetworkFacts | undefined {
    return this.#facts;
  }

  async start(signal: AbortSignal): Promise<void> {
    const iptables = this.options.iptables ?? Iptables.find();
    const conntrack = this.options.conntrack ?? new Conntrack();
    const facts = prepareNodeNetwork(this.options.procSys);
    this.#facts = facts;
    const services = new Informer<Service>(this.options.client, SERVICES, { onError: (err) => log.debug({ err }, 'service watch failed; retrying') });
    const slices = new Informer<EndpointSlice>(this.options.client, SLICES, { onError: (err) => log.debug({ err }, 'endpointslice watch failed; retrying') });
    const changed = (): void => {
      this.#dirty = true;
      this.#wake?.();
    };
    for (const informer of [services, slices] as Informer[]) informer.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
    await services.start(signal);
    await slices.start(signal);
    await Promise.race([Promise.all([services.waitForSync(), slices.waitForSync()]), aborted(signal)]);
    if (signal.aborted) return;

    log.info(
      {
        iptables: await iptables.version(),
        bridgeNfCallIptables: facts.bridgeNfCallIptables,
        routeLocalnet: facts.routeLocalnet,
        conntrack: conntrack.available,
        ...(facts.problems.length ? { problems: facts.problems } : {}),
      },
      facts.bridgeNfCallIptables ? 'service proxy starting' : 'service proxy starting; bridged traffic skips iptables, so all Service traffic is masqueraded',
    );
    if (!conntrack.available) log.info('conntrack tool not installed: stale UDP flows to removed endpoints expire on their own (apt-get install conntrack to clear them at once)');

    const syncOnce = async (full: boolean): Promise<void> => {
      this.#dirty = false;
      if (full || !this.#applied) this.#applied = await this.#existing(iptables);
      const t0 = performance.now();
      const ports = servicePorts(services.list(), slices.list(), this.options.nodeName);
      const desired = buildRules(ports, {
        ...(this.options.clusterCidr ? { clusterCidr: this.options.clusterCidr } : {}),
        masqueradeAll: !facts.bridgeNfCallIptables,
      });
      const { text, written } = restoreInput(desired, this.#applied);
      try {
        await iptables.restore(text);
      } catch (err) {
        this.#applied = undefined; // unknown now: next sync rewrites everything
        throw err;
      }
      this.#applied = appliedFrom(desired);
      if (full || this.#syncs === 0) for (const jump of JUMPS) await iptables.ensureJump(jump);
      await this.#clearStaleUdp(ports, conntrack);
      this.#syncs++;
      log.debug({ servicePorts: ports.length, chainsWritten: written, full, ms: Math.round(performance.now() - t0) }, 'synced service rules');
    };

    // The first sync happens before start() resolves, so Services work once the agent is up.
    await syncOnce(true);
    log.info({ servicePorts: this.#applied ? [...this.#applied.nat.keys()].filter((c) => c.startsWith('KUBE-SVC-')).length : 0 }, 'service proxy synced');
    this.#stopped = this.#loop(signal, syncOnce).finally(() => this.#cleanup(iptables));
  }

  async #loop(signal: AbortSignal, syncOnce: (full: boolean) => Promise<void>): Promise<void> {
    const minInterval = this.options.minSyncIntervalMs ?? 1000;
    const fullInterval = this.options.fullSyncIntervalMs ?? 30_000;
    let lastSync = performance.now();
    let lastFull = lastSync;
    let failures = 0;
    signal.addEventListener('abort', () => this.#wake?.(), { once: true });
    while (!signal.aborted) {
      if (!this.#dirty) {
        const timer = setTimeout(() => this.#wake?.(), Math.max(0, fullInterval - (performance.now() - lastFull)));
        await new Promise<void>((resolve) => (this.#wake = resolve));
        clearTimeout(timer);
        this.#wake = undefined;
        if (signal.aborted) return;
      }
      const wait = minInterval - (performance.now() - lastSync);
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) return;
      const full = performance.now() - lastFull >= fullInterval;
      try {
        await syncOnce(full);
        failures = 0;
        if (full) lastFull = performance.now();
      } catch (err) {
        failures++;
        this.#dirty = true;
        log.warn({ err: err instanceof Error ? err.message : String(err), failures }, 'syncing service rules failed; retrying');
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), signal);
      }
      lastSync = performance.now();
    }
  }

  /** Our chains as they exist now, content unknown, so stale ones (e.g. from a crash) are removed. */
  async #existing(iptables: IptablesRunner): Promise<Applied> {
    const applied: Applied = { nat: new Map(), filter: new Map() };
    for (const table of ['nat', 'filter'] as const) {
      for (const chain of await iptables.chains(table)) {
        if (SERVICE_CHAIN.test(chain) || (TOP_CHAINS[table] as readonly string[]).includes(chain)) applied[table].set(chain, null);
      }
    }
    return applied;
  }

  /**
   * UDP flows keep their conntrack entry, and with it their endpoint, for as long as packets
   * flow: entries pointing at a removed endpoint are deleted, and when a Service gets its first
   * endpoint the entries that recorded the earlier rejection go too (upstream does the same).
   */
  async #clearStaleUdp(ports: readonly ServicePort[], conntrack: ConntrackCleaner): Promise<void> {
    const now = new Map<string, { target: { ip?: string; port: number }; ips: Set<string> }>();
    for (const sp of ports) {
      if (sp.protocol !== 'UDP') continue;
      const ips = new Set(sp.endpoints.map((e) => e.ip));
      for (const ip of [...sp.clusterIPs, ...sp.externalAddresses]) now.set(`${ip}:${sp.port}`, { target: { ip, port: sp.port }, ips });
      if (sp.nodePort !== undefined) now.set(`:${sp.nodePort}`, { target: { port: sp.nodePort }, ips });
    }
    if (conntrack.available) {
      for (const [key, { target, ips }] of now) {
        const before = this.#udpEndpoints.get(key);
        if (!before) continue;
        if (before.ips.size === 0 && ips.size > 0) await conntrack.clear(target);
        for (const ip of before.ips) if (!ips.has(ip)) await conntrack.clear({ ...target, endpointIP: ip });
      }
      for (const [key, { target, ips }] of this.#udpEndpoints) {
        if (!now.has(key)) for (const ip of ips) await conntrack.clear({ ...target, endpointIP: ip });
      }
    }
    this.#udpEndpoints = now;
  }

  async #cleanup(iptables: IptablesRunner): Promise<void> {
    try {
      for (const jump of JUMPS) await iptables.removeJump(jump);
      const existing = { nat: await iptables.chains('nat'), filter: await iptables.chains('filter') };
      await iptables.restore(cleanupInput(existing));
      log.info('service proxy rules removed');
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'removing service proxy rules failed');
    }
  }

  stopped(): Promise<void> {
    return this.#stopped;
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
