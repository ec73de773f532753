/**
 * The node's NetworkPolicy enforcer, as upstream k3s's embedded kube-router policy controller:
 * watches pods, namespaces and NetworkPolicies, and keeps the filter table of the node's network
 * namespace in line with them for the pods of this node. Changes are batched: a sync computes
 * every chain and rewrites only those that changed, in one atomic iptables-restore. Our jumps are
 * kept first in FORWARD, OUTPUT and INPUT (rechecked periodically, since the service proxy and the
 * CNI plugins insert at the top too). While no NetworkPolicy exists nothing is installed (nothing
 * is isolated); on shutdown, or when the last policy goes, every rule and chain it made is removed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Informer } from '../client/informer.js';
import type { Controller, ControllerContext } from '../controllers/controller.js';
import { sleep } from '../supervisor/sleep.js';
import { FilterTable } from './iptables.js';
import { buildChains, HOOKS, JUMP_ARGS, OWN_CHAIN, restoreInput, type NetworkPolicy, type NpNamespace, type NpPod } from './rules.js';

const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;
const POLICIES = { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' } as const;

export interface NetworkPolicyOptions {
  readonly nodeName: string;
  /** How often the jumps' position is rechecked and everything re-applied (ms). */
  readonly resyncMs?: number;
  /** /proc/sys of the node's namespace (tests). */
  readonly procSys?: string;
  readonly table?: FilterTable;
}

export class NetworkPolicyController implements Controller {
  readonly name = 'network-policy';
  private ctx!: ControllerContext;
  private pods!: Informer<NpPod>;
  private namespaces!: Informer<NpNamespace>;
  private policies!: Informer<NetworkPolicy>;
  private dirty = true;
  private wake: (() => void) | undefined;
  /** What the table holds now, as we last wrote it (undefined content: unknown, rewrite). */
  private applied = new Map<string, readonly string[]>();

  constructor(private readonly options: NetworkPolicyOptions) {}

  setup(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.pods = ctx.informers.for<NpPod>(PODS);
    this.namespaces = ctx.informers.for<NpNamespace>(NAMESPACES);
    this.policies = ctx.informers.for<NetworkPolicy>(POLICIES);
    const changed = (): void => {
      this.dirty = true;
      this.wake?.();
    };
    // Pod status heartbeats do not change rules: only IPs, labels, node and phase matter.
    const podChanged = (pod: NpPod, old?: NpPod): void => {
      if (!old || podView(pod) !== podView(old)) changed();
    };
    this.pods.addHandlers({ onAdd: (p) => podChanged(p), onUpdate: (p, old) => podChanged(p, old), onDelete: changed });
    this.namespaces.addHandlers({ onAdd: changed, onUpdate: (n, old) => JSON.stringify(n.metadata?.labels) !== JSON.stringify(old.metadata?.labels) && changed(), onDelete: changed });
    this.policies.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  async run(signal: AbortSignal): Promise<void> {
    const table = this.options.table ?? FilterTable.find();
    this.checkBridgeNetfilter();
    // Chains left by a previous run (a crash): their content is unknown, so each is rewritten or removed.
    for (const chain of await table.chains(OWN_CHAIN)) this.applied.set(chain, ['?']);
    const resyncMs = this.options.resyncMs ?? 30_000;
    let lastFull = 0;
    const timer = setInterval(() => {
      this.dirty = true;
      this.wake?.();
    }, resyncMs);
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
    try {
      while (!signal.aborted) {
        if (this.dirty) {
          this.dirty = false;
          try {
            const full = Date.now() - lastFull >= resyncMs;
            await this.sync(table, full);
            if (full) lastFull = Date.now();
          } catch (err) {
            this.ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'applying network policies failed; retrying');
            // Whatever half happened, the next attempt rewrites everything.
            for (const key of this.applied.keys()) this.applied.set(key, ['?']);
            this.dirty = true;
            await sleep(1000, signal);
            continue;
          }
          // Batch the burst of events a rollout makes into one restore.
          await sleep(50, signal);
          if (this.dirty) continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      clearInterval(timer);
      if (this.applied.size > 0) await this.cleanUp(table);
    }
  }

  private async sync(table: FilterTable, full: boolean): Promise<void> {
    if (this.policies.list().length === 0) {
      // No policy, no isolation: leave the node's tables untouched (and clean once the last goes).
      if (this.applied.size > 0) await this.cleanUp(table);
      this.applied = new Map();
      return;
    }
    const next = buildChains({ pods: this.pods.list(), namespaces: this.namespaces.list(), policies: this.policies.list() }, this.options.nodeName);
    const previous = full ? new Map([...this.applied.keys()].map((k) => [k, ['?']] as const)) : this.applied;
    const input = restoreInput(previous, next);
    if (input !== '') {
      await table.restore(input);
      this.ctx.log.info({ chains: next.size, rules: [...next.values()].reduce((n, r) => n + r.length, 0), policies: this.policies.list().length }, 'network policy rules applied');
    }
    this.applied = next;
    for (const hook of HOOKS) await table.ensureFirst(hook, JUMP_ARGS);
  }

  private async cleanUp(table: FilterTable): Promise<void> {
    try {
      for (const hook of HOOKS) await table.remove(hook, JUMP_ARGS);
      const existing = await table.chains(OWN_CHAIN);
      await table.restore(restoreInput(new Map(existing.map((c) => [c, ['?']])), new Map()));
      this.ctx.log.info({ chains: existing.length }, 'network policy rules removed');
    } catch (err) {
      this.ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'removing network policy rules failed');
    }
  }

  /**
   * Pods on one bridge talk through it without routing: only with br_netfilter's
   * bridge-nf-call-iptables (per network namespace) do their packets meet the filter table.
   */
  private checkBridgeNetfilter(): void {
    const path = `${this.options.procSys ?? '/proc/sys'}/net/bridge/bridge-nf-call-iptables`;
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8').trim();
      if (current !== '1') writeFileSync(path, '1');
      return;
    } catch (err) {
      const why = current === undefined
        ? 'the br_netfilter module is not loaded (as root: modprobe br_netfilter, and add it to /etc/modules-load.d)'
        : `it is ${current} and could not be set (${(err as NodeJS.ErrnoException).code ?? String(err)}): sysctl -w net.bridge.bridge-nf-call-iptables=1 as root`;
      this.ctx.log.warn({ path }, `NetworkPolicy does not apply between pods of this node: ${why}`);
    }
  }
}

function podView(pod: NpPod): string {
  return JSON.stringify([pod.metadata?.labels, pod.spec?.nodeName, pod.status?.podIP, pod.status?.phase, pod.spec?.containers?.map((c) => c.ports)]);
}
