/**
 * Picks a node's pod CIDR: the first /24 of the cluster CIDR that no other node holds. Upstream
 * this is kube-controller-manager's node-ipam controller; here the agent does it itself when
 * its Node has none, with the Node update's resourceVersion guarding against a lost race.
 */
import { net } from '../../config/index.js';

export function nextPodCidr(clusterCidr: string, taken: ReadonlySet<string>, nodePrefix = 24): string {
  const cidr = net.parseCidr(clusterCidr);
  if (!cidr || cidr.family !== 4) throw new Error(`cluster CIDR ${clusterCidr} is not an IPv4 CIDR; only IPv4 pod networks are supported yet`);
  if (cidr.prefix > nodePrefix) throw new Error(`cluster CIDR ${clusterCidr} is smaller than one node's /${nodePrefix}`);
  const base = net.ipv4ToInt(cidr.address) - (net.ipv4ToInt(cidr.address) % 2 ** (32 - cidr.prefix));
  const count = 2 ** (nodePrefix - cidr.prefix);
  for (let i = 0; i < count; i++) {
    const candidate = `${net.intToIpv4(base + i * 2 ** (32 - nodePrefix))}/${nodePrefix}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error(`cluster CIDR ${clusterCidr} has no free /${nodePrefix} left for another node (${count} in use)`);
}
