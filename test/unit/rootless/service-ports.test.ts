import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceForwards } from '../../../src/rootless/service-ports.js';

test('LoadBalancer services forward their ports and node ports; NodePort only node ports; ClusterIP nothing', () => {
  const lb = { metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }, { port: 53, nodePort: 30053, protocol: 'UDP' }] } };
  assert.deepEqual(serviceForwards(lb), [
    { proto: 'tcp', port: 80, owner: 'service shop/web' },
    { proto: 'tcp', port: 30080, owner: 'service shop/web' },
    { proto: 'udp', port: 53, owner: 'service shop/web' },
    { proto: 'udp', port: 30053, owner: 'service shop/web' },
  ]);
  assert.deepEqual(serviceForwards({ metadata: { name: 'np', namespace: 'a' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] } }), [{ proto: 'tcp', port: 31000, owner: 'service a/np' }]);
  assert.deepEqual(serviceForwards({ metadata: { name: 'c', namespace: 'a' }, spec: { ports: [{ port: 80 }] } }), []);
});
