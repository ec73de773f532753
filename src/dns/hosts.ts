/**
 * Custom entries in hosts-file format ("IP name [alias...]", # comments), as upstream k3s keeps
 * the nodes' addresses in the `NodeHosts` key of the kube-system/coredns ConfigMap. Answers A,
 * AAAA and PTR for any name listed, in any zone; a listed name asked for another type answers
 * NODATA.
 */
import { isIP } from 'node:net';
import { reverseName } from './records.js';
import { CLASS_IN, normalizeName, RCODE, TYPE, type ResourceRecord } from './wire.js';
import type { ZoneAnswer } from './records.js';

/** CoreDNS's hosts plugin default. */
export const HOSTS_TTL = 3600;

export interface HostsEntry {
  readonly ip: string;
  readonly names: readonly string[];
}

export interface HostsProblem {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

/** Parses hosts-file text; malformed lines are reported, not fatal. */
export function parseHosts(text: string): { entries: HostsEntry[]; problems: HostsProblem[] } {
  const entries: HostsEntry[] = [];
  const problems: HostsProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const [ip = '', ...names] = line.split(/\s+/);
    if (isIP(ip) === 0) problems.push({ line: i + 1, text: raw, reason: `"${ip}" is not an IP address` });
    else if (names.length === 0) problems.push({ line: i + 1, text: raw, reason: 'no host name after the address' });
    else entries.push({ ip, names: names.map(normalizeName) });
  });
  return { entries, problems };
}

export class HostsTable {
  private readonly byName = new Map<string, ResourceRecord[]>();

  constructor(entries: readonly HostsEntry[] = []) {
    for (const e of entries) {
      for (const name of e.names) {
        const data = isIP(e.ip) === 4 ? ({ type: TYPE.A, address: e.ip } as const) : ({ type: TYPE.AAAA, address: e.ip } as const);
        this.push(name, { name, class: CLASS_IN, ttl: HOSTS_TTL, data });
      }
      // The first name is the canonical one, as in /etc/hosts.
      const reverse = reverseName(e.ip);
      if (reverse && e.names[0] && !this.byName.has(reverse)) this.push(reverse, { name: reverse, class: CLASS_IN, ttl: HOSTS_TTL, data: { type: TYPE.PTR, target: e.names[0] } });
    }
  }

  private push(name: string, record: ResourceRecord): void {
    const list = this.byName.get(name);
    if (list) list.push(record);
    else this.byName.set(name, [record]);
  }

  get size(): number {
    return this.byName.size;
  }

  lookup(rawName: string, type: number): ZoneAnswer {
    const found = this.byName.get(normalizeName(rawName));
    if (!found) return { kind: 'not-mine' };
    const answers = found.filter((r) => type === TYPE.ANY || r.data.type === type);
    return { kind: 'records', rcode: RCODE.NOERROR, answers, additionals: [], authorities: [] };
  }
}
