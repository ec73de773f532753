/** Service, Endpoints and EndpointSlice validation. */
import { isIP } from 'node:net';
import type { FieldError, KubeObject } from '../types.js';
import { duplicate, forbidden, invalid, notSupported, required } from './errors.js';
import { validateLabels } from './metadata.js';
import { dns1123Label, dns1123Subdomain, portName, portRange } from './names.js';
import { goIntOrString, list, rec, text } from './values.js';

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const AFFINITIES = ['ClientIP', 'None'];

export function validateService(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = rec(object['spec']);
  const errs: FieldError[] = [];
  const type = text(spec['type']);
  if (!TYPES.includes(type)) errs.push(notSupported('spec.type', type, TYPES));
  const headless = text(spec['clusterIP']) === 'None' || text((spec['clusterIPs'] as unknown[] | undefined)?.[0]) === 'None';
  const ports = list(spec['ports']);
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = `spec.ports[${i}]`;
    const name = text(port['name']);
    if (ports.length > 1 && !name) errs.push(required(`${at}.name`));
    if (name) {
      for (const msg of dns1123Label(name)) errs.push(invalid(`${at}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
      names.add(name);
    }
    for (const msg of portRange(Number(port['port'] ?? 0))) errs.push(invalid(`${at}.port`, port['port'] ?? 0, msg));
    const protocol = text(port['protocol']);
    if (!protocol) errs.push(required(`${at}.protocol`));
    else if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(`${at}.protocol`, protocol, PROTOCOLS));
    const target = port['targetPort'];
    // The bad value is an intstr.IntOrString, which upstream prints with %#v.
    const targetErrors = typeof target === 'number' ? portRange(target) : typeof target === 'string' ? portName(target) : [];
    for (const msg of targetErrors) errs.push({ ...invalid(`${at}.targetPort`, target, msg), message: `Invalid value: ${goIntOrString(target)}: ${msg}` });
    if (port['nodePort'] && (type === 'ClusterIP' || type === 'ExternalName')) {
      errs.push(forbidden(`${at}.nodePort`, `may not be used when \`type\` is '${type}'`));
    } else if (port['nodePort']) {
      for (const msg of portRange(Number(port['nodePort']))) errs.push(invalid(`${at}.nodePort`, port['nodePort'], msg));
    }
  });
  if (type === 'ExternalName') {
    const external = text(spec['externalName']);
    if (!external) errs.push(required('spec.externalName'));
    else for (const msg of dns1123Subdomain(external.replace(/\.$/, ''))) errs.push(invalid('spec.externalName', external, msg));
  }
  const affinity = text(spec['sessionAffinity']);
  if (affinity && !AFFINITIES.includes(affinity)) errs.push(notSupported('spec.sessionAffinity', affinity, AFFINITIES));
  errs.push(...validateLabels(spec['selector'], 'spec.selector'));
  if (old) {
    const before = Array.isArray(rec(old['spec'])['clusterIPs']) ? (rec(old['spec'])['clusterIPs'] as unknown[]) : [];
    const after = Array.isArray(spec['clusterIPs']) ? (spec['clusterIPs'] as unknown[]) : [];
    // Primary and secondary IPs may not change unless the service moves from or to ExternalName.
    const externalNameSwitch = type === 'ExternalName' || rec(old['spec'])['type'] === 'ExternalName';
    if (!externalNameSwitch) {
      before.forEach((ip, i) => {
        if (i < after.length && after[i] !== ip) errs.push(invalid(`spec.clusterIPs[${i}]`, after, 'may not change once set'));
      });
    }
  }
  return errs;
}

export function validateEndpoints(object: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  list(object['subsets']).forEach((subset, i) => {
    list(subset['ports']).forEach((port, j) => {
      const at = `subsets[${i}].ports[${j}]`;
      for (const msg of portRange(Number(port['port'] ?? 0))) errs.push(invalid(`${at}.port`, port['port'] ?? 0, msg));
      const protocol = text(port['protocol']);
      if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(`${at}.protocol`, protocol, PROTOCOLS));
    });
    list(subset['addresses']).forEach((address, j) => {
      const ip = text(address['ip']);
      if (isIP(ip) === 0) errs.push(invalid(`subsets[${i}].addresses[${j}].ip`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    });
  });
  return errs;
}

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

export function validateEndpointSlice(object: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const type = text(object['addressType']);
  if (!type) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  list(object['endpoints']).forEach((e, i) => {
    const addresses = Array.isArray(e['addresses']) ? e['addresses'] : [];
    if (addresses.length === 0) errs.push(required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
  });
  return errs;
}
