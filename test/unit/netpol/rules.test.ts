import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildChains, policyTypes, restoreInput, TOP_CHAIN, type ClusterState, type NetworkPolicy, type NpPod } from '../../../src/netpol/rules.js';

function pod(ns: string, name: string, ip: string, labels: Record<string, string>, node = 'n1', ports: { name: string; containerPort: number }[] = []): NpPod {
  return { metadata: { namespace: ns, name, uid: `uid-${ns}-${name}`, labels }, spec: { nodeName: node, containers: [{ ports }] }, status: { phase: 'Running', podIP: ip } };
}

function policy(ns: string, name: string, spec: NonNullable<NetworkPolicy['spec']>): NetworkPolicy {
  return { metadata: { namespace: ns, name }, spec };
}

const namespaces = [
  { metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } } },
  { metadata: { name: 'other', labels: { 'kubernetes.io/metadata.name': 'other', team: 'a' } } },
];
const server = pod('default', 'server', '10.42.0.10', { app: 'server' }, 'n1', [{ name: 'http', containerPort: 8080 }]);
const client = pod('default', 'client', '10.42.0.11', { app: 'client' });
const remote = pod('other', 'remote', '10.42.1.5', { app: 'client' }, 'n2');

function chainFor(chains: Map<string, string[]>, kind: 'I' | 'E', ip: string): string[] {
  const jump = chains.get(TOP_CHAIN)!.find((r) => r.includes(`${kind === 'I' ? '-d' : '-s'} ${ip}/32`));
  assert.ok(jump, `a jump for ${ip}`);
  return chains.get(jump.split(' -j ')[1]!)!;
}

const allows = (rules: string[]): string[] => rules.filter((r) => r.includes('--set-xmark 0x20000/0x20000') && !r.includes('addrtype'));

describe('network policy rules', () => {
  test('no policy selects a pod: no chain for it, only the stateful top chain', () => {
    const chains = buildChains({ pods: [server, client], namespaces, policies: [] }, 'n1');
    assert.deepEqual([...chains.keys()], [TOP_CHAIN]);
    assert.match(chains.get(TOP_CHAIN)![0]!, /--ctstate RELATED,ESTABLISHED -j RETURN/);
  });

  test('default deny ingress: the selected pod rejects all but the node itself', () => {
    const state: ClusterState = { pods: [server, client], namespaces, policies: [policy('default', 'deny', { podSelector: {} })] };
    const chains = buildChains(state, 'n1');
    const rules = chainFor(chains, 'I', '10.42.0.10');
    assert.deepEqual(allows(rules), []);
    assert.ok(rules.some((r) => r.includes('--src-type LOCAL')));
    assert.match(rules.at(-1)!, /-j REJECT/);
    assert.match(rules.at(-2)!, /-m mark --mark 0x20000\/0x20000 -j RETURN/);
    // Both pods are selected; none gets an egress chain (policyTypes default to Ingress only).
    assert.equal([...chains.keys()].filter((c) => c.startsWith('K3S-NP-E-')).length, 0);
  });

  test('podSelector and namespaceSelector peers become one rule per pod IP, named ports resolve on the destination', () => {
    const allow = policy('default', 'allow', {
      podSelector: { matchLabels: { app: 'server' } },
      ingress: [
        { from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ protocol: 'TCP', port: 'http' }] },
        { from: [{ namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 9000, endPort: 9010 }] },
      ],
    });
    const rules = allows(chainFor(buildChains({ pods: [server, client, remote], namespaces, policies: [allow] }, 'n1'), 'I', '10.42.0.10'));
    assert.equal(rules.length, 2);
    assert.match(rules[0]!, /-s 10\.42\.0\.11\/32 -p tcp -m tcp --dport 8080 /);
    assert.match(rules[1]!, /-s 10\.42\.1\.5\/32 -p tcp -m tcp --dport 9000:9010 /);
  });

  test('ipBlock with except goes through a chain that returns for the exceptions', () => {
    const p = policy('default', 'cidr', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.1.0/24'] } }] }] });
    const chains = buildChains({ pods: [server], namespaces, policies: [p] }, 'n1');
    const rules = chainFor(chains, 'I', '10.42.0.10');
    const jump = rules.find((r) => r.includes('-s 192.168.0.0/16'))!;
    const block = chains.get(jump.split(' -j ')[1]!)!;
    assert.deepEqual(block.map((r) => r.replace(/^-A \S+ /, '')), ['-s 192.168.1.0/24 -j RETURN', '-j MARK --set-xmark 0x20000/0x20000']);
  });

  test('egress: pods selected for Egress get a chain on their source IP; ports without peers allow any destination', () => {
    const p = policy('default', 'egress', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'server' } } }] }, { ports: [{ protocol: 'UDP', port: 53 }] }] });
    assert.deepEqual(policyTypes(p), { ingress: false, egress: true });
    const chains = buildChains({ pods: [server, client], namespaces, policies: [p] }, 'n1');
    const rules = allows(chainFor(chains, 'E', '10.42.0.11'));
    assert.match(rules[0]!, /-d 10\.42\.0\.10\/32 -m comment/);
    assert.match(rules[1]!, /^-A \S+ -p udp -m udp --dport 53 /);
    assert.equal([...chains.keys()].filter((c) => c.startsWith('K3S-NP-I-')).length, 0);
  });

  test('pods of other nodes, finished pods and host-network pods get no chain', () => {
    const done = { ...pod('default', 'done', '10.42.0.12', { app: 'server' }), status: { phase: 'Succeeded', podIP: '10.42.0.12' } };
    const host = { ...pod('default', 'host', '10.0.0.1', { app: 'server' }), spec: { nodeName: 'n1', hostNetwork: true } };
    const chains = buildChains({ pods: [remote, done, host], namespaces, policies: [policy('other', 'deny', { podSelector: {} }), policy('default', 'deny', { podSelector: {} })] }, 'n1');
    assert.deepEqual([...chains.keys()], [TOP_CHAIN]);
  });

  test('restore input rewrites only changed chains and deletes gone ones', () => {
    const state: ClusterState = { pods: [server, client], namespaces, policies: [policy('default', 'deny', { podSelector: { matchLabels: { app: 'server' } } })] };
    const first = buildChains(state, 'n1');
    const initial = restoreInput(new Map(), first);
    assert.match(initial, /^\*filter\n/);
    assert.match(initial, /COMMIT\n$/);
    assert.equal(restoreInput(first, buildChains(state, 'n1')), '', 'nothing changed, nothing written');
    const removed = restoreInput(first, buildChains({ ...state, policies: [] }, 'n1'));
    const podChain = [...first.keys()].find((c) => c !== TOP_CHAIN)!;
    assert.match(removed, new RegExp(`:${podChain} - \\[0:0\\]`));
    assert.match(removed, new RegExp(`-X ${podChain}\\n`));
    assert.ok(removed.indexOf(`-A ${TOP_CHAIN}`) < removed.indexOf(`-X ${podChain}`), 'the jump goes before its chain');
  });
});
