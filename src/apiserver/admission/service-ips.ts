/**
 * Service address allocation (upstream's ipallocator and portallocator, as admission): a ClusterIP
 * from the service CIDR for every Service that wants one, and node ports from the node-port range
 * for NodePort and LoadBalancer Services. What is in use is read from the watch cache, so no
 * separate allocation bitmap has to be kept consistent with the Services themselves.
 */
import { randomInt } from 'node:crypto';
import type { FieldError, KubeObject } from '../../api/types.js';
import { intToIpv4, ipv4InCidr, ipv4ToInt, parseCidr, type Cidr } from '../../config/net.js';
import { invalid } from '../errors.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/admission.js';
import type { WatchCache } from '../watch-cache.js';

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: { port?: number; nodePort?: number; protocol?: string; name?: string }[];
}

export interface ServiceIpOptions {
  readonly serviceCidr: string;
  readonly nodePortRange: { readonly min: number; readonly max: number };
  readonly cache: WatchCache;
}

const SERVICES_PREFIX = '/registry/services/specs/';

function specOf(object: KubeObject): ServiceSpec {
  return ((object['spec'] ??= {}) as ServiceSpec);
}

export function serviceIpAllocator(options: ServiceIpOptions): AdmissionPlugin {
  const cidr = parseCidr(options.serviceCidr);
  if (!cidr || cidr.family !== 4) throw new Error(`service CIDR "${options.serviceCidr}" must be an IPv4 CIDR`);
  const size = 2 ** (32 - cidr.prefix);
  const base = ipv4ToInt(cidr.address) - (ipv4ToInt(cidr.address) % size);

  const inUse = (self: string): { ips: Set<string>; ports: Set<number> } => {
    const ips = new Set<string>();
    const ports = new Set<number>();
    for (const entry of options.cache.list(SERVICES_PREFIX)) {
      if (entry.key.endsWith(`/${self}`)) continue;
      const spec = (entry.object['spec'] ?? {}) as ServiceSpec;
      if (spec.clusterIP && spec.clusterIP !== 'None') ips.add(spec.clusterIP);
      for (const p of spec.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  };

  const allocateIp = (used: Set<string>): string => {
    // Random probing like upstream's allocator; the network and broadcast addresses are never used.
    for (let i = 0; i < 64; i++) {
      const ip = intToIpv4(base + 1 + randomInt(size - 2));
      if (!used.has(ip)) return ip;
    }
    for (let n = 1; n < size - 1; n++) {
      const ip = intToIpv4(base + n);
      if (!used.has(ip)) return ip;
    }
    throw new Error('no service IP left');
  };

  const allocatePort = (used: Set<number>): number => {
    const { min, max } = options.nodePortRange;
    for (let i = 0; i < 64; i++) {
      const p = min + randomInt(max - min + 1);
      if (!used.has(p)) return p;
    }
    for (let p = min; p <= max; p++) if (!used.has(p)) return p;
    throw new Error('no node port left');
  };

  return {
    name: 'ServiceIPs',
    admit(attrs: AdmissionAttributes) {
      if (attrs.info.group !== '' || attrs.info.kind !== 'Service' || attrs.subresource !== '') return;
      if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
      const spec = specOf(attrs.object);
      const name = attrs.object.metadata?.name ?? '';
      const self = `${attrs.namespace}/${name}`;
      const old = attrs.old ? ((attrs.old['spec'] ?? {}) as ServiceSpec) : undefined;
      const type = spec.type ?? 'ClusterIP';
      const errors: FieldError[] = [];
      const used = inUse(self);

      if (type === 'ExternalName') {
        delete spec.clusterIP;
        delete spec.clusterIPs;
      } else {
        if ((spec.clusterIP === undefined || spec.clusterIP === '') && old?.clusterIP) spec.clusterIP = old.clusterIP;
        if (spec.clusterIP === undefined || spec.clusterIP === '') {
          spec.clusterIP = allocateIp(used.ips);
        } else if (spec.clusterIP !== 'None' && spec.clusterIP !== old?.clusterIP) {
          if (!ipv4InCidr(spec.clusterIP, cidr as Cidr)) {
            errors.push({ field: 'spec.clusterIPs', reason: 'FieldValueInvalid', message: `Invalid value: ["${spec.clusterIP}"]: failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${options.serviceCidr}` });
          } else if (used.ips.has(spec.clusterIP)) {
            errors.push({ field: 'spec.clusterIPs', reason: 'FieldValueInvalid', message: `Invalid value: ["${spec.clusterIP}"]: failed to allocate IP ${spec.clusterIP}: provided IP is already allocated` });
          }
        }
        spec.clusterIPs = [spec.clusterIP];
        if (spec.clusterIP !== 'None' || !spec.ipFamilies) spec.ipFamilies = ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      }

      if (type === 'NodePort' || type === 'LoadBalancer') {
        const mine = new Set<number>();
        for (const port of spec.ports ?? []) {
          if (!port.nodePort) {
            const previous = old?.ports?.find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'))?.nodePort;
            port.nodePort = previous ?? allocatePort(new Set([...used.ports, ...mine]));
          } else {
            const { min, max } = options.nodePortRange;
            if (port.nodePort < min || port.nodePort > max) {
              errors.push({ field: 'spec.ports[0].nodePort', reason: 'FieldValueInvalid', message: `Invalid value: ${port.nodePort}: provided port is not in the valid range. The range of valid ports is ${min}-${max}` });
            } else if (used.ports.has(port.nodePort)) {
              errors.push({ field: 'spec.ports[0].nodePort', reason: 'FieldValueInvalid', message: `Invalid value: ${port.nodePort}: provided port is already allocated` });
            }
          }
          mine.add(port.nodePort);
        }
      } else {
        for (const port of spec.ports ?? []) delete port.nodePort;
      }
      if (errors.length > 0) throw invalid('', 'Service', name, errors);
    },
  };
}
