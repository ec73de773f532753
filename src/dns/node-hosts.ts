/**
 * The `NodeHosts` key of the kube-system/coredns ConfigMap, kept as upstream k3s keeps it: one
 * "<InternalIP> <node name>" line per Node, so pods resolve node names. Lines naming a current
 * node are rewritten to its address; every other line (entries a user added) is kept as is.
 */
import type { KubeObject } from '../api/types.js';

export const COREDNS_CONFIGMAP = 'coredns';
export const NODE_HOSTS_KEY = 'NodeHosts';
export const CUSTOM_CONFIGMAP = 'coredns-custom';

type NodeLike = KubeObject & { status?: { addresses?: { type?: string; address?: string }[] } };

/** Node name -> its InternalIP (nodes without one are left out). */
export function nodeAddresses(nodes: readonly NodeLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of nodes) {
    const name = node.metadata?.name;
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (name && ip) out.set(name, ip);
  }
  return out;
}

export function mergeNodeHosts(current: string, nodes: ReadonlyMap<string, string>): string {
  const placed = new Set<string>();
  const lines: string[] = [];
  for (const line of current.split('\n')) {
    if (line.trim() === '') continue;
    const names = line.replace(/#.*/, '').trim().split(/\s+/).slice(1);
    const node = names.find((n) => nodes.has(n));
    if (node === undefined) {
      lines.push(line);
      continue;
    }
    if (placed.has(node)) continue;
    placed.add(node);
    lines.push(`${nodes.get(node)!} ${node}`);
  }
  for (const [name, ip] of [...nodes].sort(([a], [b]) => a.localeCompare(b))) {
    if (!placed.has(name)) lines.push(`${ip} ${name}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
