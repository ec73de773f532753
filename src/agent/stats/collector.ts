/**
 * The node's resource usage, as metrics-server would scrape it from the kubelet: the node's CPU
 * (from /proc/stat) and working set (MemTotal - MemAvailable), and per container the runtime's
 * cumulative CPU and working set (CRI ListContainerStats). CPU is a rate, so it needs two
 * samples: the first request samples twice a second apart; later ones rate against the previous
 * sample (at least a second old). Without cgroups (rootless, no delegation) containerd measures
 * nothing per container: that is reported as unavailable, with the reason, never as zeros.
 */
import { readFileSync } from 'node:fs';
import { CriClient } from '../cri/index.js';
import { MANAGED_BY, POD_NAME, POD_NAMESPACE, CONTAINER_NAME } from '../pods/labels.js';
import { sleep } from '../../supervisor/sleep.js';

export interface ContainerUsage {
  readonly name: string;
  readonly cpuNanoCores: number;
  readonly memoryBytes: number;
}

export interface NodeUsageSnapshot {
  readonly node: string;
  readonly timestamp: Date;
  readonly windowSeconds: number;
  readonly cpuNanoCores: number;
  readonly memoryBytes: number;
  readonly pods: ReadonlyMap<string, readonly ContainerUsage[]>;
}

/** Thrown when usage cannot be measured; `reason` is for the user (kubectl prints it). */
export class MetricsUnavailableError extends Error {}

interface Sample {
  readonly at: number;
  readonly nodeCpuNs: number;
  readonly memoryBytes: number;
  /** container id -> pod key, container name, cumulative CPU ns, working set. */
  readonly containers: Map<string, { pod: string; name: string; cpuNs: number; memory: number }>;
}

const USER_HZ = 100;

/** Busy CPU time of the whole machine in ns (all but idle and iowait), from /proc/stat. */
export function nodeCpuNs(stat = readFileSync('/proc/stat', 'utf8')): number {
  const fields = (stat.split('\n').find((l) => l.startsWith('cpu '))?.trim().split(/\s+/).slice(1) ?? []).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return ((total - idle) / USER_HZ) * 1e9;
}

/** MemTotal - MemAvailable in bytes, from /proc/meminfo. */
export function nodeWorkingSet(meminfo = readFileSync('/proc/meminfo', 'utf8')): number {
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0);
  return (kb('MemTotal') - kb('MemAvailable')) * 1024;
}

export class NodeStatsCollector {
  #previous: Sample | undefined;
  #cri: CriClient | undefined;

  constructor(
    readonly nodeName: string,
    private readonly options: { readonly criSocket: () => string | undefined; readonly rootless: boolean },
  ) {}

  async snapshot(): Promise<NodeUsageSnapshot> {
    if (this.options.rootless) {
      throw new MetricsUnavailableError(`metrics not available for node ${this.nodeName}: cgroup v2 delegation missing in rootless mode (containerd runs without cgroups, so no usage is measured)`);
    }
    let previous = this.#previous;
    let current = await this.#sample();
    if (!previous || current.at - previous.at < 1000) {
      previous ??= current;
      await sleep(Math.max(0, 1000 - (current.at - previous.at)));
      current = await this.#sample();
    }
    this.#previous = current;
    const seconds = (current.at - previous.at) / 1000;
    const pods = new Map<string, ContainerUsage[]>();
    for (const [id, c] of current.containers) {
      const before = previous.containers.get(id);
      if (!before) continue;
      const list = pods.get(c.pod) ?? [];
      list.push({ name: c.name, cpuNanoCores: Math.max(0, (c.cpuNs - before.cpuNs) / seconds), memoryBytes: c.memory });
      pods.set(c.pod, list);
    }
    return {
      node: this.nodeName,
      timestamp: new Date(current.at),
      windowSeconds: seconds,
      cpuNanoCores: Math.max(0, (current.nodeCpuNs - previous.nodeCpuNs) / seconds),
      memoryBytes: current.memoryBytes,
      pods,
    };
  }

  close(): void {
    this.#cri?.close();
  }

  async #sample(): Promise<Sample> {
    const socket = this.options.criSocket();
    if (!socket) throw new MetricsUnavailableError(`metrics not available for node ${this.nodeName}: its container runtime is not running yet`);
    this.#cri ??= new CriClient(socket, { timeoutMs: 30_000 });
    const stats = await this.#cri.listContainerStats({ [MANAGED_BY]: 'true' });
    const at = Date.now();
    const containers = new Map<string, { pod: string; name: string; cpuNs: number; memory: number }>();
    for (const s of stats) {
      const labels = s.attributes.labels;
      const cpu = s.cpu?.usageCoreNanoSeconds?.value;
      if (cpu === undefined || !labels[POD_NAMESPACE] || !labels[POD_NAME]) continue;
      containers.set(s.attributes.id, {
        pod: `${labels[POD_NAMESPACE]}/${labels[POD_NAME]}`,
        name: labels[CONTAINER_NAME] ?? s.attributes.metadata?.name ?? s.attributes.id,
        cpuNs: cpu,
        memory: s.memory?.workingSetBytes?.value ?? 0,
      });
    }
    return { at, nodeCpuNs: nodeCpuNs(), memoryBytes: nodeWorkingSet(), containers };
  }
}

/** The wire form of a snapshot (GET /stats/usage on the kubelet API): pods as [key, containers] pairs. */
export function usageToJson(s: NodeUsageSnapshot): unknown {
  return { ...s, timestamp: s.timestamp.toISOString(), pods: [...s.pods] };
}

export function usageFromJson(value: unknown): NodeUsageSnapshot {
  const v = value as Omit<NodeUsageSnapshot, 'timestamp' | 'pods'> & { timestamp: string; pods: [string, ContainerUsage[]][] };
  return { ...v, timestamp: new Date(v.timestamp), pods: new Map(v.pods) };
}
