/**
 * metrics.k8s.io/v1beta1 (what `kubectl top` reads): NodeMetrics and PodMetrics, read-only and
 * never stored. Upstream serves them from metrics-server through the aggregator; here the API
 * server computes them from the kubelet's stats (src/metrics/).
 */
import type { ResourceInfo } from '../types.js';
import { groupVersion, READ_ONLY } from './define.js';

export function metricsResources(): ResourceInfo[] {
  return groupVersion('metrics.k8s.io', 'v1beta1', [
    { kind: 'NodeMetrics', resource: 'nodes', namespaced: false, verbs: READ_ONLY, storage: '' },
    { kind: 'PodMetrics', resource: 'pods', namespaced: true, verbs: READ_ONLY, storage: '' },
  ]);
}
