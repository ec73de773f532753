/** Printers of the kinds that route traffic: services, endpoints, slices, ingresses, policies. */
import { arr, at, num, obj, str, type Obj } from './access.js';
import { AGE_COLUMN, col, convertor, NAME_COLUMN, nameCellsAge, nameOf } from './columns.js';
import { age, formatLabels, formatSelector, joinHostPort, listWithMore, sortedUnique } from './format.js';

/** Load-balancer ingress points (IP, else hostname), sorted and unique; the server prints wide, unclipped. */
function loadBalancerAddresses(status: unknown): string {
  const points = arr(obj(status)['ingress'])
    .map(obj)
    .map((i) => str(i['ip']) || str(i['hostname']))
    .filter((s) => s !== '');
  return sortedUnique(points).join(',');
}

function externalIP(svc: Obj): string {
  const spec = obj(svc['spec']);
  const externalIPs = arr(spec['externalIPs']).map(str);
  switch (spec['type']) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(at(svc, 'status', 'loadBalancer'));
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec['externalName']);
    default:
      return '<unknown>';
  }
}

/** "80/TCP", "80:30080/TCP", comma separated. */
export function servicePorts(ports: unknown): string {
  return arr(ports)
    .map(obj)
    .map((p) => {
      const nodePort = num(p['nodePort']);
      return nodePort > 0 ? `${num(p['port'])}:${nodePort}/${str(p['protocol'])}` : `${num(p['port'])}/${str(p['protocol'])}`;
    })
    .join(',');
}

export const serviceTable = convertor(
  [
    NAME_COLUMN,
    col('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  (o, now) => {
    const spec = obj(o['spec']);
    const clusterIPs = arr(spec['clusterIPs']).map(str);
    return [
      nameOf(o),
      str(spec['type']),
      clusterIPs[0] ?? '<none>',
      externalIP(o),
      servicePorts(spec['ports']) || '<none>',
      age(o, now),
      formatLabels(spec['selector']),
    ];
  },
);

/** Up to three "ip:port" endpoints, then "+ N more...". */
function formatEndpoints(endpoints: Obj): string {
  const subsets = arr(endpoints['subsets']).map(obj);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  for (const subset of subsets) {
    const ips = arr(subset['addresses']).map((a) => str(obj(a)['ip']));
    const ports = arr(subset['ports']).map(obj);
    if (ports.length === 0) list.push(...ips);
    else for (const port of ports) for (const ip of ips) list.push(joinHostPort(ip, num(port['port'])));
  }
  return listWithMore(list, 3, '');
}

export const endpointsTable = nameCellsAge(
  [col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.')],
  (o) => [formatEndpoints(o)],
);

export const endpointSliceTable = nameCellsAge(
  [
    col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
  ],
  (o) => {
    const ports = arr(o['ports'])
      .map(obj)
      .map((p) => (typeof p['port'] === 'number' ? String(p['port']) : typeof p['name'] === 'string' ? p['name'] : '*'));
    const addresses = arr(o['endpoints']).flatMap((e) => arr(obj(e)['addresses']).map(str));
    return [str(o['addressType']), listWithMore(ports), listWithMore(addresses)];
  },
);

function ingressHosts(rules: unknown): string {
  const all = arr(rules).map(obj);
  const list: string[] = [];
  let more = false;
  for (const rule of all) {
    if (list.length === 3) more = true;
    if (!more && str(rule['host']) !== '') list.push(str(rule['host']));
  }
  if (list.length === 0) return '*';
  // Upstream counts every rule, with a host or not, in the "more".
  return more ? `${list.join(',')} + ${all.length - 3} more...` : list.join(',');
}

export const ingressTable = nameCellsAge(
  [
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
  ],
  (o) => {
    const spec = obj(o['spec']);
    const className = spec['ingressClassName'];
    return [
      typeof className === 'string' ? className : '<none>',
      ingressHosts(spec['rules']),
      loadBalancerAddresses(at(o, 'status', 'loadBalancer')),
      arr(spec['tls']).length > 0 ? '80, 443' : '80',
    ];
  },
);

export const ingressClassTable = nameCellsAge(
  [
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
  ],
  (o) => {
    const params = at(o, 'spec', 'parameters');
    let text = '<none>';
    if (params !== undefined && params !== null) {
      const p = obj(params);
      text = str(p['kind']) + (typeof p['apiGroup'] === 'string' ? `.${p['apiGroup']}` : '') + `/${str(p['name'])}`;
    }
    return [str(at(o, 'spec', 'controller')), text];
  },
);

export const networkPolicyTable = nameCellsAge(
  [col('Pod-Selector', 'string', 'podSelector selects the pods to which this NetworkPolicy object applies.')],
  (o) => [formatSelector(at(o, 'spec', 'podSelector'))],
);
