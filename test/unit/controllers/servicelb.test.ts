import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { desiredIngress, ENABLE_LB_LABEL, isOurs, LB_POOL_LABEL, portConflicts, type LbNode, type LbService, type LbSlice } from '../../../src/controllers/servicelb.js';

function node(name: string, addresses: [string, string][], options: { ready?: boolean; labels?: Record<string, string> } = {}): LbNode {
  return {
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}) },
    status: { addresses: addresses.map(([type, address]) => ({ type, address })), conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
  };
}

function svc(name: string, ports: number[], extra: Partial<NonNullable<LbService['spec']>> = {}, created = '2026-01-01T00:00:00Z', labels?: Record<string, string>): LbService {
  return { metadata: { namespace: 'default', name, creationTimestamp: created, ...(labels ? { labels } : {}) }, spec: { type: 'LoadBalancer', ports: ports.map((port) => ({ port, protocol: 'TCP' })), ...extra } };
}

describe('servicelb addresses', () => {
  test('ready nodes give their InternalIPs, sorted, per the Service IP family', () => {
    const nodes = [node('b', [['InternalIP', '10.0.0.2'], ['InternalIP', 'fd00::2'], ['Hostname', 'b']]), node('a', [['InternalIP', '10.0.0.1']]), node('down', [['InternalIP', '10.0.0.9']], { ready: false })];
    assert.deepEqual(desiredIngress(svc('web', [80]), nodes, [], undefined, false).ips, ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(desiredIngress(svc('web', [80], { ipFamilies: ['IPv6', 'IPv4'] }), nodes, [], undefined, false).ips, ['fd00::2', '10.0.0.1', '10.0.0.2']);
  });

  test('ExternalIPs win over InternalIPs when any node has one', () => {
    const nodes = [node('a', [['InternalIP', '10.0.0.1'], ['ExternalIP', '203.0.113.5']]), node('b', [['InternalIP', '10.0.0.2']])];
    assert.deepEqual(desiredIngress(svc('web', [80]), nodes, [], undefined, false).ips, ['203.0.113.5']);
  });

  test('rootless shows 127.0.0.1, and nothing while no node is ready', () => {
    assert.deepEqual(desiredIngress(svc('web', [80]), [node('a', [['InternalIP', '10.0.0.1']])], [], undefined, true).ips, ['127.0.0.1']);
    assert.deepEqual(desiredIngress(svc('web', [80]), [node('a', [['InternalIP', '10.0.0.1']], { ready: false })], [], undefined, true).ips, []);
  });

  test('enablelb labels restrict the nodes, and lbpool picks a pool', () => {
    const nodes = [
      node('a', [['InternalIP', '10.0.0.1']], { labels: { [ENABLE_LB_LABEL]: 'true', [LB_POOL_LABEL]: 'p1' } }),
      node('b', [['InternalIP', '10.0.0.2']], { labels: { [ENABLE_LB_LABEL]: 'false' } }),
      node('c', [['InternalIP', '10.0.0.3']]),
      node('d', [['InternalIP', '10.0.0.4']], { labels: { [ENABLE_LB_LABEL]: 'true', [LB_POOL_LABEL]: 'p2' } }),
    ];
    assert.deepEqual(desiredIngress(svc('web', [80]), nodes, [], undefined, false).ips, ['10.0.0.1', '10.0.0.4']);
    assert.deepEqual(desiredIngress(svc('web', [80], {}, undefined, { [LB_POOL_LABEL]: 'p2' }), nodes, [], undefined, false).ips, ['10.0.0.4']);
  });

  test('externalTrafficPolicy Local lists only nodes with a ready endpoint', () => {
    const nodes = [node('a', [['InternalIP', '10.0.0.1']]), node('b', [['InternalIP', '10.0.0.2']])];
    const slices: LbSlice[] = [{ endpoints: [{ nodeName: 'b', conditions: { ready: true } }, { nodeName: 'a', conditions: { ready: false } }] }];
    assert.deepEqual(desiredIngress(svc('web', [80], { externalTrafficPolicy: 'Local' }), nodes, slices, undefined, false).ips, ['10.0.0.2']);
    assert.deepEqual(desiredIngress(svc('web', [80], { externalTrafficPolicy: 'Local' }), nodes, [], undefined, false).ips, []);
  });
});

describe('servicelb ownership and port conflicts', () => {
  test('a Service with a loadBalancerClass, or not of type LoadBalancer, is not ours', () => {
    assert.equal(isOurs(svc('web', [80])), true);
    assert.equal(isOurs(svc('web', [80], { loadBalancerClass: 'example.com/other' })), false);
    assert.equal(isOurs(svc('web', [80], { type: 'NodePort' })), false);
  });

  test('the older Service keeps a contested port; the newer one is told who holds it', () => {
    const older = svc('first', [80, 443], {}, '2026-01-01T00:00:00Z');
    const newer = svc('second', [8080, 80], {}, '2026-01-02T00:00:00Z');
    const udp = { ...svc('dns', [80], {}, '2026-01-03T00:00:00Z'), spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'UDP' }] } };
    const other = svc('classed', [80], { loadBalancerClass: 'x' }, '2025-01-01T00:00:00Z');
    const conflicts = portConflicts([newer, udp, older, other]);
    assert.deepEqual([...conflicts.entries()], [['default/second', { port: 80, protocol: 'TCP', holder: 'default/first' }]]);
    assert.deepEqual(desiredIngress(newer, [node('a', [['InternalIP', '10.0.0.1']])], [], conflicts.get('default/second'), false), { ips: [], conflict: { port: 80, protocol: 'TCP', holder: 'default/first' } });
    // The blocked Service holds none of its ports: a third one on 8080 is free to take it.
    assert.equal(portConflicts([older, newer, svc('third', [8080], {}, '2026-01-04T00:00:00Z')]).has('default/third'), false);
  });
});
