import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servicePorts, type EndpointSlice, type Service } from '../../../src/proxy/model.js';
import { appliedFrom, buildRules, chainSuffix, cleanupInput, emptyApplied, endpointChain, restoreInput, serviceChains } from '../../../src/proxy/rules.js';

const NODE = 'node-a';

function svc(name: string, spec: NonNullable<Service['spec']>, status?: Service['status']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec, ...(status ? { status } : {}) };
}

function slice(service: string, endpoints: { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean; node?: string }[], ports = [{ name: 'http', port: 8080, protocol: 'TCP' }]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports,
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, ...(e.serving !== undefined ? { serving: e.serving } : {}), ...(e.terminating !== undefined ? { terminating: e.terminating } : {}) },
      nodeName: e.node ?? NODE,
    })),
  };
}

const web = svc('web', { type: 'ClusterIP', clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });

function rulesOf(services: Service[], slices: EndpointSlice[], opts = { clusterCidr: '10.42.0.0/16' }) {
  return buildRules(servicePorts(services, slices, NODE), opts);
}

test('chain names are upstream-shaped: a prefix and 16 base32 characters, stable for the same input', () => {
  assert.match(chainSuffix('default/web:http' + 'tcp'), /^[A-Z2-7]{16}$/);
  assert.equal(chainSuffix('x'), chainSuffix('x'));
  assert.notEqual(chainSuffix('x'), chainSuffix('y'));
});

test('a cluster IP jumps to its service chain, which balances randomly over the ready endpoints', () => {
  const t = rulesOf([web], [slice('web', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }, { ip: '10.42.0.7', ready: false }])]);
  const { svc: chain } = serviceChains({ id: 'default/web:http', protocol: 'TCP' });
  assert.ok(t.nat.get('KUBE-SERVICES')!.some((r) => r.includes('-d 10.43.0.20/32 -p tcp -m tcp --dport 80') && r.endsWith(`-j ${chain}`)));
  const rules = t.nat.get(chain)!;
  // Off-cluster sources to the cluster IP are masqueraded; then 1/2, then the rest.
  assert.match(rules[0]!, /^-A KUBE-SVC-\S+ ! -s 10\.42\.0\.0\/16 -d 10\.43\.0\.20\/32 .* -j KUBE-MARK-MASQ$/);
  assert.match(rules[1]!, /--probability 0\.5000000000 -j KUBE-SEP-/);
  assert.doesNotMatch(rules[2]!, /statistic/);
  assert.equal(rules.length, 3, 'the unready endpoint gets no rule');
  const sep = endpointChain({ id: 'default/web:http', protocol: 'TCP' }, { ip: '10.42.0.5', port: 8080 });
  assert.deepEqual(t.nat.get(sep), [
    `-A ${sep} -s 10.42.0.5/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ`,
    `-A ${sep} -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.42.0.5:8080`,
  ]);
  assert.match(t.nat.get('KUBE-SERVICES')!.at(-1)!, /--dst-type LOCAL -j KUBE-NODEPORTS$/, 'node ports are the last rule');
});

test('three endpoints get probabilities 1/3, 1/2 and the rest', () => {
  const t = rulesOf([web], [slice('web', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }, { ip: '10.42.0.7' }])]);
  const rules = t.nat.get(serviceChains({ id: 'default/web:http', protocol: 'TCP' }).svc)!;
  assert.deepEqual(rules.slice(1).map((r) => /--probability (\S+)/.exec(r)?.[1] ?? 'rest'), ['0.3333333333', '0.5000000000', 'rest']);
});

test('a Service without endpoints is rejected in the filter table, with no NAT rule', () => {
  const np = svc('web', { type: 'NodePort', clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
  const t = rulesOf([np], [slice('web', [{ ip: '10.42.0.5', ready: false }])]);
  assert.ok(t.filter.get('KUBE-SERVICES')!.some((r) => r.includes('-d 10.43.0.20/32') && r.endsWith('-j REJECT --reject-with icmp-port-unreachable')));
  assert.ok(t.filter.get('KUBE-EXTERNAL-SERVICES')!.some((r) => r.includes('--dst-type LOCAL -p tcp -m tcp --dport 30080') && r.includes('REJECT')));
  assert.equal([...t.nat.keys()].filter((c) => c.startsWith('KUBE-SVC-')).length, 0);
});

test('serving terminating endpoints are used only when none is ready', () => {
  const only = servicePorts([web], [slice('web', [{ ip: '10.42.0.5', ready: false, serving: true, terminating: true }])], NODE);
  assert.deepEqual(only[0]!.endpoints.map((e) => e.ip), ['10.42.0.5']);
  const mixed = servicePorts([web], [slice('web', [{ ip: '10.42.0.5', ready: false, serving: true, terminating: true }, { ip: '10.42.0.6' }])], NODE);
  assert.deepEqual(mixed[0]!.endpoints.map((e) => e.ip), ['10.42.0.6']);
});

test('node ports and load-balancer ingress go through the external chain, masqueraded with policy Cluster', () => {
  const lb = svc('web', { type: 'LoadBalancer', clusterIP: '10.43.0.20', externalIPs: ['192.0.2.9'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }, { loadBalancer: { ingress: [{ ip: '127.0.0.1' }, { hostname: 'lb.example' }] } });
  const t = rulesOf([lb], [slice('web', [{ ip: '10.42.0.5' }])]);
  const { svc: chain, ext } = serviceChains({ id: 'default/web:http', protocol: 'TCP' });
  const services = t.nat.get('KUBE-SERVICES')!;
  assert.ok(services.some((r) => r.includes('-d 127.0.0.1/32 -p tcp -m tcp --dport 80') && r.endsWith(`-j ${ext}`)));
  assert.ok(services.some((r) => r.includes('-d 192.0.2.9/32') && r.endsWith(`-j ${ext}`)));
  assert.ok(t.nat.get('KUBE-NODEPORTS')!.some((r) => r.includes('--dport 30080') && r.endsWith(`-j ${ext}`)));
  assert.deepEqual(t.nat.get(ext)!.map((r) => r.split(' -j ')[1]), ['KUBE-MARK-MASQ', chain]);
});

test('externalTrafficPolicy Local: outside traffic only to local endpoints, unmasqueraded; none local means drop', () => {
  const spec = { type: 'NodePort', clusterIP: '10.43.0.20', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] };
  const { svc: chain, svl, ext } = serviceChains({ id: 'default/web:http', protocol: 'TCP' });
  const t = rulesOf([svc('web', spec)], [slice('web', [{ ip: '10.42.0.5' }, { ip: '10.42.9.9', node: 'node-b' }])]);
  const extRules = t.nat.get(ext)!;
  assert.ok(extRules[0]!.startsWith(`-A ${ext} -s 10.42.0.0/16`) && extRules[0]!.endsWith(`-j ${chain}`), 'pods use every endpoint');
  assert.ok(extRules.some((r) => r.includes('--src-type LOCAL') && r.endsWith('-j KUBE-MARK-MASQ')), 'the node itself is masqueraded');
  assert.equal(extRules.at(-1), `-A ${ext} -j ${svl}`);
  assert.ok(!extRules.some((r) => r === `-A ${ext} -j KUBE-MARK-MASQ`), 'outside traffic keeps its source');
  assert.equal(t.nat.get(svl)!.length, 1, 'one local endpoint, no statistic');
  assert.ok(t.nat.get(svl)![0]!.endsWith(`-j ${endpointChain({ id: 'default/web:http', protocol: 'TCP' }, { ip: '10.42.0.5', port: 8080 })}`));

  const remote = rulesOf([svc('web', spec)], [slice('web', [{ ip: '10.42.9.9', node: 'node-b' }])]);
  assert.match(remote.nat.get(ext)!.at(-1)!, /-j KUBE-MARK-DROP$/);
  assert.equal(remote.nat.get(svl), undefined);
});

test('internalTrafficPolicy Local: the cluster IP goes to local endpoints only, and is dropped when there are none', () => {
  const spec = { clusterIP: '10.43.0.20', internalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80 }] };
  const { svl } = serviceChains({ id: 'default/web:http', protocol: 'TCP' });
  const t = rulesOf([svc('web', spec)], [slice('web', [{ ip: '10.42.0.5' }, { ip: '10.42.9.9', node: 'node-b' }])]);
  assert.ok(t.nat.get('KUBE-SERVICES')!.some((r) => r.includes('-d 10.43.0.20/32') && r.endsWith(`-j ${svl}`)));
  assert.equal(t.nat.get(svl)!.length, 1);
  const none = rulesOf([svc('web', spec)], [slice('web', [{ ip: '10.42.9.9', node: 'node-b' }])]);
  assert.ok(none.filter.get('KUBE-SERVICES')!.some((r) => r.includes('-d 10.43.0.20/32') && r.endsWith('-j DROP')));
  assert.ok(!none.nat.get('KUBE-SERVICES')!.some((r) => r.includes('10.43.0.20')));
});

test('ClientIP affinity checks the recent list of each endpoint before balancing, and sets it on DNAT', () => {
  const sticky = svc('web', { clusterIP: '10.43.0.20', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, ports: [{ name: 'http', port: 80 }] });
  const t = rulesOf([sticky], [slice('web', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }])]);
  const rules = t.nat.get(serviceChains({ id: 'default/web:http', protocol: 'TCP' }).svc)!;
  const sep = endpointChain({ id: 'default/web:http', protocol: 'TCP' }, { ip: '10.42.0.5', port: 8080 });
  assert.ok(rules[1]!.includes(`-m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j ${sep}`));
  assert.ok(t.nat.get(sep)![1]!.includes(`-m recent --name ${sep} --mask 255.255.255.255 --rsource --set -m tcp -j DNAT`));
});

test('UDP ports match udp; named ports resolve through the slice port of the same name and protocol', () => {
  const dns = svc('dns', { clusterIP: '10.43.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
  const s = slice('dns', [{ ip: '10.42.0.5' }], [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5354, protocol: 'TCP' }]);
  const ports = servicePorts([dns], [s], NODE);
  assert.deepEqual(ports.map((p) => `${p.protocol}:${p.endpoints[0]?.port}`), ['UDP:5353', 'TCP:5354']);
  const t = buildRules(ports);
  assert.ok(t.nat.get('KUBE-SERVICES')!.some((r) => r.includes('-p udp -m udp --dport 53')));
});

test('headless, ExternalName and SCTP services are not proxied', () => {
  const ports = servicePorts(
    [
      svc('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
      svc('ext', { type: 'ExternalName', ports: [{ port: 80 }] }),
      svc('sctp', { clusterIP: '10.43.0.9', ports: [{ port: 80, protocol: 'SCTP' }] }),
    ],
    [],
    NODE,
  );
  assert.deepEqual(ports, []);
});

test('without br_netfilter every Service connection is masqueraded', () => {
  const t = buildRules(servicePorts([web], [slice('web', [{ ip: '10.42.0.5' }])], NODE), { clusterCidr: '10.42.0.0/16', masqueradeAll: true });
  const rules = t.nat.get(serviceChains({ id: 'default/web:http', protocol: 'TCP' }).svc)!;
  assert.match(rules[0]!, /^-A KUBE-SVC-\S+ -d 10\.43\.0\.20\/32 .* -j KUBE-MARK-MASQ$/);
});

test('restore input: first write has everything; then only changed service chains; stale ones are deleted last', () => {
  const one = rulesOf([web], [slice('web', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }])]);
  const first = restoreInput(one, emptyApplied());
  assert.match(first.text, /^\*filter\n/);
  assert.match(first.text, /\nCOMMIT\n\*nat\n/);
  assert.equal(first.written, 3, 'one SVC and two SEP chains');
  assert.equal(restoreInput(one, appliedFrom(one)).written, 0, 'nothing changed: only the top-level chains are rewritten');

  const two = rulesOf([web], [slice('web', [{ ip: '10.42.0.5' }])]);
  const next = restoreInput(two, appliedFrom(one));
  const gone = endpointChain({ id: 'default/web:http', protocol: 'TCP' }, { ip: '10.42.0.6', port: 8080 });
  const kept = endpointChain({ id: 'default/web:http', protocol: 'TCP' }, { ip: '10.42.0.5', port: 8080 });
  assert.equal(next.written, 1, 'only the SVC chain is rewritten');
  assert.ok(!next.text.includes(`-A ${kept}`), 'the unchanged endpoint chain is not rewritten');
  const lines = next.text.split('\n');
  assert.ok(lines.includes(`:${gone} - [0:0]`));
  assert.ok(lines.indexOf(`-X ${gone}`) > lines.findLastIndex((l) => l.startsWith('-A ')), 'deleted after every rule');
});

test('restore input leaves chains that are not ours alone, and the clean-up removes only ours', () => {
  const applied = emptyApplied();
  applied.nat.set('CNI-HOSTPORT-DNAT', null);
  applied.nat.set('KUBE-SEP-AAAAAAAAAAAAAAAA', null);
  const text = restoreInput(rulesOf([], []), applied).text;
  assert.ok(!text.includes('CNI-HOSTPORT-DNAT'));
  assert.ok(text.includes('-X KUBE-SEP-AAAAAAAAAAAAAAAA'));
  const cleanup = cleanupInput({ nat: ['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-AAAAAAAAAAAAAAAA', 'CNI-X', 'KUBE-KUBELET-CANARY'], filter: ['KUBE-FORWARD', 'INPUT'] });
  assert.equal(cleanup, '*filter\n:KUBE-FORWARD - [0:0]\n-X KUBE-FORWARD\nCOMMIT\n*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n-X KUBE-SERVICES\n-X KUBE-SVC-AAAAAAAAAAAAAAAA\nCOMMIT\n');
});

test('loadBalancerSourceRanges: ingress IPs go through a firewall chain that admits the ranges and the node, and drops the rest', () => {
  const lb = svc(
    'web',
    { type: 'LoadBalancer', clusterIP: '10.43.0.20', externalIPs: ['192.0.2.9'], loadBalancerSourceRanges: ['198.51.100.0/24', 'not-a-cidr'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] },
    { loadBalancer: { ingress: [{ ip: '10.0.0.5' }] } },
  );
  const t = rulesOf([lb], [slice('web', [{ ip: '10.42.0.5' }])]);
  const { ext, fw } = serviceChains({ id: 'default/web:http', protocol: 'TCP' });
  const services = t.nat.get('KUBE-SERVICES')!;
  assert.ok(services.some((r) => r.includes('-d 10.0.0.5/32') && r.endsWith(`-j ${fw}`)), 'the ingress IP is guarded');
  assert.ok(services.some((r) => r.includes('-d 192.0.2.9/32') && r.endsWith(`-j ${ext}`)), 'external IPs are not (as upstream)');
  assert.deepEqual(t.nat.get(fw)!.map((r) => r.replace(/ -m comment --comment "[^"]*"/, '')), [
    `-A ${fw} -s 198.51.100.0/24 -j ${ext}`,
    `-A ${fw} -m addrtype --src-type LOCAL -j ${ext}`,
    `-A ${fw} -j KUBE-MARK-DROP`,
  ]);
  const open = rulesOf([svc('web', { ...lb.spec!, loadBalancerSourceRanges: [] }, lb.status)], [slice('web', [{ ip: '10.42.0.5' }])]);
  assert.equal(open.nat.get(fw), undefined);
});
