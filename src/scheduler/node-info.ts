/** A node as the scheduler sees it: the Node object, the pods on it (bound or assumed), what they use. */
import type { KubeObject } from '../api/types.js';
import { add, podRequests, subtract, zero, type Resources } from './resources.js';

export interface NodeInfo {
  readonly name: string;
  node: KubeObject;
  readonly pods: Map<string, KubeObject>;
  readonly requested: Resources;
  /** "protocol/hostIP/hostPort" of every hostPort in use. */
  readonly usedPorts: Map<string, number>;
}

export function newNodeInfo(name: string, node: KubeObject): NodeInfo {
  return { name, node, pods: new Map(), requested: zero(), usedPorts: new Map() };
}

export interface HostPort {
  protocol: string;
  hostIP: string;
  hostPort: number;
}

export function hostPorts(pod: KubeObject): HostPort[] {
  const spec = (pod.spec ?? {}) as { containers?: { ports?: { hostPort?: number; hostIP?: string; protocol?: string }[] }[] };
  const out: HostPort[] = [];
  for (const c of spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push({ protocol: p.protocol ?? 'TCP', hostIP: p.hostIP || '0.0.0.0', hostPort: p.hostPort });
    }
  }
  return out;
}

export function addPod(info: NodeInfo, key: string, pod: KubeObject): void {
  if (info.pods.has(key)) removePod(info, key);
  info.pods.set(key, pod);
  add(info.requested, podRequests(pod));
  for (const p of hostPorts(pod)) {
    const k = `${p.protocol}/${p.hostIP}/${p.hostPort}`;
    info.usedPorts.set(k, (info.usedPorts.get(k) ?? 0) + 1);
  }
}

export function removePod(info: NodeInfo, key: string): void {
  const pod = info.pods.get(key);
  if (!pod) return;
  info.pods.delete(key);
  subtract(info.requested, podRequests(pod));
  for (const p of hostPorts(pod)) {
    const k = `${p.protocol}/${p.hostIP}/${p.hostPort}`;
    const n = (info.usedPorts.get(k) ?? 1) - 1;
    if (n <= 0) info.usedPorts.delete(k);
    else info.usedPorts.set(k, n);
  }
}
