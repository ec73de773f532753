/**
 * Keeps this agent's Node current: registers it (create, or reconcile labels/addresses of an
 * existing one), gives it a pod CIDR, reports status (conditions from the runtime's CRI Status)
 * when something changes and at least every minute, and renews its Lease in kube-node-lease
 * every 10 s, which is the heartbeat the node lifecycle controller watches.
 */
import type { KubeObject } from '../../api/types.js';
import { isAlreadyExists, isConflict, isNotFound, type ApiClient } from '../../client/index.js';
import { logger } from '../../log/index.js';
import type { CriClient } from '../cri/index.js';
import type { MachineInfo } from './machine.js';
import { newNode, nodeConditions, nodeLabels, nodeStatus, type Condition, type NodeSettings } from './node-object.js';
import { sleep } from '../../supervisor/sleep.js';
import { nextPodCidr } from './pod-cidr.js';

const log = logger('node');
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' } as const;
export const LEASE_DURATION_SECONDS = 40;
export const LEASE_RENEW_MS = 10_000;
const STATUS_REPORT_MS = 60_000;
const STATUS_CHECK_MS = 10_000;

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}
function microNow(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}

export class NodeManager {
  #settings: NodeSettings;
  #conditions: Condition[] = [];
  #lastReport = 0;
  #uid = '';

  constructor(
    private readonly client: ApiClient,
    private readonly cri: CriClient,
    settings: NodeSettings,
    private readonly machine: MachineInfo,
    private readonly runtimeVersion: string,
    private readonly clusterCidr: string,
  ) {
    this.#settings = settings;
  }

  get podCidr(): string | undefined {
    return this.#settings.podCidr;
  }

  /** Registers the Node and ensures it has a pod CIDR; resolves with that CIDR. */
  async register(): Promise<string> {
    this.#conditions = nodeConditions(await this.runtimeProblem(), [], now());
    let node: KubeObject;
    try {
      node = await this.client.create(NODES, newNode(this.#settings, this.machine, this.runtimeVersion, this.#conditions));
      log.info({ node: this.#settings.name }, 'registered node');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await this.client.patch(NODES, this.#settings.name, 'merge', {
        metadata: { labels: nodeLabels(this.#settings, this.machine) },
      });
      log.info({ node: this.#settings.name }, 'node already registered; labels reconciled');
    }
    this.#uid = node.metadata?.uid ?? '';
    const podCidr = await this.ensurePodCidr(node);
    this.#settings = { ...this.#settings, podCidr };
    await this.reportStatus(true);
    return podCidr;
  }

  private async ensurePodCidr(node: KubeObject): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const existing = (node['spec'] as { podCIDR?: string } | undefined)?.podCIDR;
      if (existing) return existing;
      const nodes = await this.client.list(NODES);
      const taken = new Set(nodes.items.map((n) => (n['spec'] as { podCIDR?: string } | undefined)?.podCIDR).filter((c): c is string => !!c));
      const cidr = nextPodCidr(this.clusterCidr, taken);
      try {
        node['spec'] = { ...(node['spec'] as object), podCIDR: cidr, podCIDRs: [cidr] };
        node = await this.client.update(NODES, node);
        log.info({ podCIDR: cidr }, 'allocated the node pod CIDR');
        return cidr;
      } catch (err) {
        if (!isConflict(err) || attempt > 5) throw err;
        node = await this.client.get(NODES, this.#settings.name);
      }
    }
  }

  /** What keeps the node from Ready, from CRI Status (RuntimeReady, NetworkReady), or undefined. */
  async runtimeProblem(): Promise<string | undefined> {
    try {
      const conditions = await this.cri.status();
      const bad = conditions.filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && !c.status);
      if (bad.length === 0) return undefined;
      return `container runtime not ready: ${bad.map((c) => `${c.type}=false reason:${c.reason} message:${c.message}`).join('; ')}`;
    } catch (err) {
      return `container runtime is down: ${(err as Error).message}`;
    }
  }

  /** Patches the Node status when the conditions changed, or when `force`, or a minute passed. */
  async reportStatus(force = false): Promise<void> {
    const problem = await this.runtimeProblem();
    const next = nodeConditions(problem, this.#conditions, now());
    const changed = next.some((c) => this.#conditions.find((o) => o.type === c.type)?.status !== c.status);
    if (!force && !changed && Date.now() - this.#lastReport < STATUS_REPORT_MS) return;
    await this.client.patch(NODES, this.#settings.name, 'merge', { status: nodeStatus(this.#settings, this.machine, this.runtimeVersion, next) }, { subresource: 'status' });
    if (changed) log.info({ ready: problem === undefined, problem }, 'node readiness changed');
    this.#conditions = next;
    this.#lastReport = Date.now();
  }

  async renewLease(): Promise<void> {
    const name = this.#settings.name;
    try {
      const lease = await this.client.get(LEASES, name);
      lease['spec'] = { ...(lease['spec'] as object), holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microNow() };
      await this.client.update(LEASES, lease);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.client.create(LEASES, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace: 'kube-node-lease',
          ...(this.#uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.#uid }] } : {}),
        },
        spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microNow() },
      } as KubeObject);
    }
  }

  /** Runs the lease and status loops until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const loop = async (every: number, what: string, fn: () => Promise<void>): Promise<void> => {
      while (!signal.aborted) {
        try {
          await fn();
        } catch (err) {
          if (!signal.aborted) log.warn({ err }, `${what} failed; retrying`);
        }
        await sleep(every, signal);
      }
    };
    await Promise.all([loop(LEASE_RENEW_MS, 'renewing the node lease', () => this.renewLease()), loop(STATUS_CHECK_MS, 'reporting node status', () => this.reportStatus())]);
  }
}
