/**
 * The metrics API (metrics.k8s.io/v1beta1, what `kubectl top` reads), served in-process by the
 * API server from the nodes' usage: its own node's in-process collector, joined agents' through
 * their kubelet API. A node that cannot be measured is left out (as metrics-server leaves out
 * nodes it cannot scrape); when none can, the answer is a 503 Status saying why, which kubectl
 * prints.
 */
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../apiserver/errors.js';
import type { VirtualResource } from '../apiserver/types.js';
import { MetricsUnavailableError, type NodeUsageSnapshot } from '../agent/stats/collector.js';
import type { UsageSource } from './remote.js';

export { remoteUsage, type KubeletTls, type UsageSource } from './remote.js';

const API_VERSION = 'metrics.k8s.io/v1beta1';

const cpu = (nanoCores: number): string => `${Math.round(nanoCores)}n`;
const memory = (bytes: number): string => `${Math.round(bytes / 1024)}Ki`;
const stamp = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

export interface MetricsSources {
  /** The nodes to measure: this process's own, and joined agents through their kubelet API. */
  collectors(): readonly UsageSource[];
  /** Labels of a node / pod, as the metrics objects carry them. */
  labelsOf(kind: 'node' | 'pod', namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

async function snapshots(sources: MetricsSources): Promise<NodeUsageSnapshot[]> {
  const collectors = sources.collectors();
  if (collectors.length === 0) throw new StatusError(503, 'ServiceUnavailable', 'metrics not available: the cluster has no node to measure', {});
  const results = await Promise.allSettled(collectors.map((c) => c.snapshot()));
  const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (ok.length === 0) {
    const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason instanceof MetricsUnavailableError ? r.reason.message : `metrics not available: ${(r.reason as Error).message}`) : ''));
    throw new StatusError(503, 'ServiceUnavailable', reasons.filter(Boolean).join('; '), {});
  }
  return ok;
}

export function metricsApi(sources: MetricsSources): Record<string, VirtualResource> {
  return {
    'metrics.k8s.io/nodes': {
      async list() {
        const all = await snapshots(sources);
        const labels = await Promise.all(all.map((s) => sources.labelsOf('node', '', s.node)));
        return all.map(
          (s, i): KubeObject => ({
            kind: 'NodeMetrics',
            apiVersion: API_VERSION,
            metadata: { name: s.node, creationTimestamp: stamp(new Date()), labels: labels[i] ?? {} },
            timestamp: stamp(s.timestamp),
            window: `${Math.round(s.windowSeconds)}s`,
            usage: { cpu: cpu(s.cpuNanoCores), memory: memory(s.memoryBytes) },
          }),
        );
      },
    },
    'metrics.k8s.io/pods': {
      async list(namespace) {
        const out: KubeObject[] = [];
        for (const s of await snapshots(sources)) {
          for (const [key, containers] of s.pods) {
            const [ns, name] = key.split('/') as [string, string];
            if (namespace && ns !== namespace) continue;
            const labels = await sources.labelsOf('pod', ns, name);
            if (!labels) continue; // the pod is gone from the API: its containers are on their way out
            out.push({
              kind: 'PodMetrics',
              apiVersion: API_VERSION,
              metadata: { name, namespace: ns, creationTimestamp: stamp(new Date()), labels },
              timestamp: stamp(s.timestamp),
              window: `${Math.round(s.windowSeconds)}s`,
              containers: containers.map((c) => ({ name: c.name, usage: { cpu: cpu(c.cpuNanoCores), memory: memory(c.memoryBytes) } })),
            });
          }
        }
        return out.sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
      },
    },
  };
}
