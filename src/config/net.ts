/** Small, dependency-free parsing of IP addresses and CIDRs for config validation. */
import { isIP } from 'node:net';

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
