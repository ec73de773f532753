/** Service, endpoints and networking.k8s.io defaults. */
import { child, items, optionalChild, setDefault, type Json } from './fields.js';

/**
 * SetDefaults_Service, plus the IP-family fields the service REST storage fills on create
 * (single-stack IPv4: the cluster's service CIDR family).
 */
export function service(object: Json): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec['sessionAffinity'] === 'None') delete spec['sessionAffinityConfig'];
  if (spec['sessionAffinity'] === 'ClientIP') {
    const clientIP = optionalChild(optionalChild(spec, 'sessionAffinityConfig') ?? {}, 'clientIP');
    if (!clientIP || clientIP['timeoutSeconds'] == null) spec['sessionAffinityConfig'] = { clientIP: { timeoutSeconds: 10800 } };
  }
  setDefault(spec, 'type', 'ClusterIP');
  for (const port of items(spec, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (port['targetPort'] == null || port['targetPort'] === 0 || port['targetPort'] === '') port['targetPort'] = port['port'];
  }
  const type = spec['type'];
  const external = type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && Array.isArray(spec['externalIPs']) && spec['externalIPs'].length > 0);
  if (external) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (type !== 'ExternalName') {
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    if (!Array.isArray(spec['ipFamilies']) || spec['ipFamilies'].length === 0) spec['ipFamilies'] = ['IPv4'];
  }
}

export function endpoints(object: Json): void {
  for (const subset of items(object, 'subsets')) for (const port of items(subset, 'ports')) setDefault(port, 'protocol', 'TCP');
}

export function endpointSlice(object: Json): void {
  for (const port of items(object, 'ports')) {
    if (port['name'] == null) port['name'] = '';
    setDefault(port, 'protocol', 'TCP');
  }
}

export function networkPolicy(object: Json): void {
  const spec = child(object, 'spec');
  for (const rule of [...items(spec, 'ingress'), ...items(spec, 'egress')]) {
    for (const port of items(rule, 'ports')) setDefault(port, 'protocol', 'TCP');
  }
  if (!Array.isArray(spec['policyTypes']) || spec['policyTypes'].length === 0) {
    spec['policyTypes'] = Array.isArray(spec['egress']) && spec['egress'].length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

export function ingressClass(object: Json): void {
  const parameters = optionalChild(optionalChild(object, 'spec') ?? {}, 'parameters');
  if (parameters) setDefault(parameters, 'scope', 'Cluster');
}

