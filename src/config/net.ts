/** Small, dependency-free parsing of IP addresses and CIDRs for config validation, and the host's own addresses. */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface Cidr {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const family = isIP(m[1]!);
  const prefix = Number(m[2]);
  if (family === 0) return undefined;
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { family: family as 4 | 6, address: m[1]!, prefix };
}

/** The IPv4 address as a 32-bit unsigned number. */
export function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Whether an IPv4 CIDR has all host bits zero (10.41.0.0/16 yes, 10.41.0.1/16 no). */
export function ipv4HostBitsZero(cidr: Cidr): boolean {
  if (cidr.family !== 4) return true;
  const hostBits = 32 - cidr.prefix;
  return ipv4ToInt(cidr.address) % 2 ** hostBits === 0;
}

/** The n-th address of an IPv4 network (n=1 is 10.43.0.1 in 10.43.0.0/16). */
export function ipv4Nth(cidr: Cidr, n: number): string {
  return intToIpv4(ipv4ToInt(cidr.address) + n);
}

export function ipv4InCidr(address: string, cidr: Cidr): boolean {
  if (cidr.family !== 4 || isIP(address) !== 4) return false;
  const size = 2 ** (32 - cidr.prefix);
  const base = ipv4ToInt(cidr.address) - (ipv4ToInt(cidr.address) % size);
  const a = ipv4ToInt(address);
  return a >= base && a < base + size;
}

/**
 * Interfaces the pod network or a container engine makes (bridges, veths, overlays): never the
 * node's address. The agent's own cni0 in particular, which exists only after its first pod
 * sandbox and often sorts before the uplink (inside a fresh network namespace it gets a low index).
 */
const POD_NETWORK_INTERFACE = /^(cni|flannel|veth|docker|br-|kube-|tunl|cali|vxlan)/;

/**
 * The host's own addresses, in interface order: not loopback, not link-local IPv6, not on the
 * pod network. The first IPv4 is upstream's default node IP.
 */
export function hostAddresses(): { readonly address: string; readonly family: 4 | 6 }[] {
  const out: { address: string; family: 4 | 6 }[] = [];
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (POD_NETWORK_INTERFACE.test(name)) continue;
    for (const a of addresses ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') out.push({ address: a.address, family: 4 });
      else if (!a.address.toLowerCase().startsWith('fe80')) out.push({ address: a.address, family: 6 });
    }
  }
  return out;
}

/** The node's address when --node-ip is not given: the host's first own IPv4, else loopback. */
export function defaultNodeIP(): string {
  return hostAddresses().find((a) => a.family === 4)?.address ?? '127.0.0.1';
}
