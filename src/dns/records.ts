/**
 * The cluster zone as the Kubernetes DNS specification defines it, computed from Services and
 * their EndpointSlices: `<svc>.<ns>.svc.<domain>` (the cluster IPs, or for a headless Service
 * its ready endpoints), `<endpoint>.<svc>.<ns>.svc.<domain>` (a pod's hostname, as StatefulSets
 * and hostname+subdomain pods publish it, or its dashed IP), `_<port>._<proto>.<svc>...` SRV for
 * named ports, ExternalName Services as CNAMEs, `a-b-c-d.<ns>.pod.<domain>` pod addresses, and
 * PTR records for service and endpoint IPs. Pure: the server feeds it objects and asks questions.
 *
 * A name that exists with no record of the asked type answers NODATA (NOERROR, SOA in
 * authority), including names that exist only as a parent of others (`<ns>.svc.<domain>`); a
 * name that does not exist answers NXDOMAIN.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { KubeObject } from '../api/types.js';
import { CLASS_IN, normalizeName, RCODE, TYPE, type ResourceRecord } from './wire.js';

/** Upstream CoreDNS's kubernetes plugin default. */
export const RECORD_TTL = 5;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export type Service = KubeObject & {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: { name?: string; port?: number; protocol?: string }[];
    publishNotReadyAddresses?: boolean;
  };
};

export type EndpointSlice = KubeObject & {
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean }; hostname?: string }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
};

/** What the zone answers: records, or "not mine" so the caller asks the next source. */
export type ZoneAnswer =
  | { readonly kind: 'records'; readonly rcode: number; readonly answers: ResourceRecord[]; readonly additionals: ResourceRecord[]; readonly authorities: ResourceRecord[]; readonly cname?: string }
  | { readonly kind: 'not-mine' };

/** The reverse-lookup name of an IP: 4.3.2.1.in-addr.arpa, or the nibbles under ip6.arpa. */
export function reverseName(ip: string): string | undefined {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (!isIPv6(ip)) return undefined;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  if (h.some((g) => g.includes('.')) || t.some((g) => g.includes('.'))) return undefined;
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${groups.map((g) => g.padStart(4, '0')).join('').split('').reverse().join('.')}.ip6.arpa`;
}

/** How an endpoint without a hostname is named: its IP with dashes (10-42-0-5). */
export function dashedIP(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

function addressRecord(name: string, ip: string): ResourceRecord | undefined {
  if (isIPv4(ip)) return { name, class: CLASS_IN, ttl: RECORD_TTL, data: { type: TYPE.A, address: ip } };
  if (isIPv6(ip)) return { name, class: CLASS_IN, ttl: RECORD_TTL, data: { type: TYPE.AAAA, address: ip } };
  return undefined;
}

function isReady(endpoint: NonNullable<EndpointSlice['endpoints']>[number], service: Service): boolean {
  // Absent means ready (discovery.k8s.io/v1); publishNotReadyAddresses publishes them all.
  return endpoint.conditions?.ready !== false || service.spec?.publishNotReadyAddresses === true;
}

export class ClusterZone {
  private readonly records = new Map<string, ResourceRecord[]>();
  /** Names that exist only because a longer name exists below them. */
  private readonly parents = new Set<string>();
  private readonly soa: ResourceRecord;
  private readonly podSuffix: string;
  private readonly svcSuffix: string;

  constructor(readonly domain: string) {
    this.domain = normalizeName(domain);
    this.podSuffix = `.pod.${this.domain}`;
    this.svcSuffix = `.svc.${this.domain}`;
    // Serial, timers and names as CoreDNS's kubernetes plugin answers them.
    this.soa = { name: this.domain, class: CLASS_IN, ttl: RECORD_TTL, data: { type: TYPE.SOA, mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: Math.floor(Date.now() / 1000), refresh: 7200, retry: 1800, expire: 86400, minimum: RECORD_TTL } };
    this.rebuild([], []);
  }

  /** Replaces the zone's contents (cheap enough to do after every batch of changes). */
  rebuild(services: readonly Service[], slices: readonly EndpointSlice[]): void {
    this.records.clear();
    this.parents.clear();
    this.add({ name: this.domain, class: CLASS_IN, ttl: RECORD_TTL, data: { type: TYPE.NS, target: `ns.dns.${this.domain}` } });
    this.add(this.soa);
    this.parents.add(`svc.${this.domain}`);
    this.parents.add(`pod.${this.domain}`);
    const slicesOf = new Map<string, EndpointSlice[]>();
    for (const slice of slices) {
      const owner = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!owner) continue;
      const key = `${slice.metadata?.namespace ?? ''}/${owner}`;
      const list = slicesOf.get(key);
      if (list) list.push(slice);
      else slicesOf.set(key, [slice]);
    }
    for (const service of services) this.addService(service, slicesOf.get(`${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`) ?? []);
  }

  private add(record: ResourceRecord): void {
    const list = this.records.get(record.name);
    const same = (r: ResourceRecord): boolean => JSON.stringify(r.data) === JSON.stringify(record.data);
    if (list) {
      if (!list.some(same)) list.push(record);
    } else this.records.set(record.name, [record]);
    this.addParents(record.name);
  }

  private addParents(name: string): void {
    const zone = name.endsWith('.in-addr.arpa') ? 'in-addr.arpa' : name.endsWith('.ip6.arpa') ? 'ip6.arpa' : this.domain;
    for (let n = name; n !== zone && n.includes('.'); n = n.slice(n.indexOf('.') + 1)) {
      if (n !== name) this.parents.add(n);
    }
  }

  private addPtr(ip: string, target: string): void {
    const name = reverseName(ip);
    if (name) this.add({ name, class: CLASS_IN, ttl: RECORD_TTL, data: { type: TYPE.PTR, target } });
  }

  private addService(service: Service, slices: readonly EndpointSlice[]): void {
    const name = service.metadata?.name;
    const ns = service.metadata?.namespace;
    if (!name || !ns) return;
    const fqdn = `${name}.${ns}${this.svcSuffix}`;
    const spec = service.spec ?? {};
    if (spec.type === 'ExternalName') {
      if (spec.externalName) this.add({ name: fqdn, class: CLASS_IN, ttl: RECORD_TTL, data: { type: TYPE.CNAME, target: normalizeName(spec.externalName) } });
      else this.parents.add(fqdn);
      return;
    }
    // The service name exists even when it has nothing to answer yet (headless without endpoints).
    this.parents.add(fqdn);
    this.addParents(fqdn);
    const ips = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => ip !== 'None');
    if (spec.clusterIP !== 'None' && ips.length > 0) {
      for (const ip of ips) {
        const record = addressRecord(fqdn, ip);
        if (record) this.add(record);
        this.addPtr(ip, fqdn);
      }
      for (const port of spec.ports ?? []) {
        if (!port.name || port.port === undefined) continue;
        this.addSrv(fqdn, port.name, port.protocol ?? 'TCP', port.port, fqdn);
      }
      return;
    }
    for (const slice of slices) {
      if (slice.addressType === 'FQDN') continue;
      for (const endpoint of slice.endpoints ?? []) {
        if (!isReady(endpoint, service)) continue;
        for (const ip of endpoint.addresses ?? []) {
          const record = addressRecord(fqdn, ip);
          if (!record) continue;
          this.add(record);
          const host = `${endpoint.hostname ?? dashedIP(ip)}.${fqdn}`;
          this.add({ ...record, name: host });
          this.addPtr(ip, host);
          for (const port of slice.ports ?? []) {
            if (!port.name || port.port === undefined) continue;
            this.addSrv(fqdn, port.name, port.protocol ?? 'TCP', port.port, host);
          }
        }
      }
    }
  }

  private addSrv(fqdn: string, portName: string, protocol: string, port: number, target: string): void {
    const data = { type: TYPE.SRV, priority: 0, weight: 100, port, target } as const;
    this.add({ name: `_${portName.toLowerCase()}._${protocol.toLowerCase()}.${fqdn}`, class: CLASS_IN, ttl: RECORD_TTL, data });
    // The bare service name answers SRV for every named port too (as CoreDNS does).
    this.add({ name: fqdn, class: CLASS_IN, ttl: RECORD_TTL, data });
  }

  /** True when the zone decides about `name` (the cluster domain and reverse names it holds). */
  owns(name: string): boolean {
    return name === this.domain || name.endsWith(`.${this.domain}`);
  }

  lookup(rawName: string, type: number): ZoneAnswer {
    const name = normalizeName(rawName);
    const inZone = this.owns(name);
    const reverse = !inZone && (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa'));
    if (!inZone && !reverse) return { kind: 'not-mine' };
    const found = this.records.get(name) ?? this.podRecords(name);
    if (!found) {
      // Reverse names the cluster does not hold belong to whoever the host's resolvers ask.
      if (reverse) return { kind: 'not-mine' };
      return this.negative(this.parents.has(name) ? RCODE.NOERROR : RCODE.NXDOMAIN);
    }
    const cname = found.find((r) => r.data.type === TYPE.CNAME);
    if (cname && type !== TYPE.CNAME) {
      const target = (cname.data as { target: string }).target;
      return { kind: 'records', rcode: RCODE.NOERROR, answers: [cname], additionals: [], authorities: [], cname: target };
    }
    const answers = found.filter((r) => type === TYPE.ANY || r.data.type === type);
    if (answers.length === 0) return this.negative(RCODE.NOERROR);
    const additionals: ResourceRecord[] = [];
    for (const answer of answers) {
      if (answer.data.type !== TYPE.SRV) continue;
      const target = (answer.data as { target: string }).target;
      for (const r of this.records.get(target) ?? []) if (r.data.type === TYPE.A || r.data.type === TYPE.AAAA) additionals.push(r);
    }
    return { kind: 'records', rcode: RCODE.NOERROR, answers, additionals: dedupe(additionals), authorities: [] };
  }

  private negative(rcode: number): ZoneAnswer {
    return { kind: 'records', rcode, answers: [], additionals: [], authorities: [this.soa] };
  }

  /** `10-42-0-5.<ns>.pod.<domain>`: answered from the name itself (CoreDNS "pods insecure"). */
  private podRecords(name: string): ResourceRecord[] | undefined {
    if (!name.endsWith(this.podSuffix)) return undefined;
    const labels = name.slice(0, -this.podSuffix.length).split('.');
    if (labels.length !== 2) return undefined;
    const label = labels[0]!;
    const v4 = label.replace(/-/g, '.');
    if (isIPv4(v4)) return [addressRecord(name, v4)!];
    const v6 = label.replace(/-/g, ':');
    if (isIPv6(v6)) return [addressRecord(name, v6)!];
    return undefined;
  }
}

function dedupe(records: ResourceRecord[]): ResourceRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const key = `${r.name}|${JSON.stringify(r.data)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
