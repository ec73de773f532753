/** IP address text to a canonical form, so "::1" and "0:0:0:0:0:0:0:1" compare equal. */
import { isIP } from 'node:net';

/** Hex of the address bytes (8 hex digits for IPv4, 32 for IPv6), or undefined if not an IP. */
export function canonicalIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return Buffer.from(text.split('.').map(Number)).toString('hex');
  if (family !== 6) return undefined;
  let address = text.toLowerCase();
  // A trailing dotted quad (::ffff:10.0.0.1) becomes two hextets.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (quad) {
    const b = quad[1]!.split('.').map(Number);
    address = address.slice(0, quad.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups = tail === undefined ? left : [...left, ...Array<string>(missing).fill('0'), ...right];
  return groups.map((g) => parseInt(g, 16).toString(16).padStart(4, '0')).join('');
}

export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}
