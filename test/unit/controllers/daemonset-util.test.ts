import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { podForNode, rollingBudget, shouldRunOn, targetNode, type DaemonSet } from '../../../src/controllers/daemonset-util.js';

function node(name: string, labels: Record<string, string> = {}, taints: unknown[] = [], ready = true): KubeObject {
  return { metadata: { name, labels }, spec: { taints }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } };
}
function ds(podSpec: Record<string, unknown> = {}, strategy?: unknown): DaemonSet {
  return { metadata: { name: 'agent', namespace: 'kube-system', uid: 'u1', generation: 3 }, spec: { template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'i' }], ...podSpec } }, ...(strategy ? { updateStrategy: strategy } : {}) } } as DaemonSet;
}

describe('daemon pod placement', () => {
  test('node selector and required node affinity decide which nodes run the pod', () => {
    const set = ds({
      nodeSelector: { os: 'linux' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } },
    });
    assert.equal(shouldRunOn(set, node('n1', { os: 'linux', zone: 'a' })), true);
    assert.equal(shouldRunOn(set, node('n2', { os: 'linux', zone: 'c' })), false);
    assert.equal(shouldRunOn(set, node('n3', { os: 'windows', zone: 'a' })), false);
  });
  test('NoSchedule and NoExecute taints keep pods off unless tolerated; PreferNoSchedule does not', () => {
    const tainted = node('n', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    assert.equal(shouldRunOn(ds(), tainted), false);
    assert.equal(shouldRunOn(ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }), tainted), true);
    assert.equal(shouldRunOn(ds(), node('p', {}, [{ key: 'x', effect: 'PreferNoSchedule' }])), true);
    assert.equal(shouldRunOn(ds(), node('u', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }])), true, 'cordoned nodes still run daemons');
  });
  test('the pod is pinned to its node by a matchFields affinity and carries the daemon tolerations and revision labels', () => {
    const pod = podForNode(ds({ hostNetwork: true, affinity: { podAntiAffinity: { x: 1 } } }), 'n7', 'abc');
    assert.equal(targetNode(pod), 'n7');
    const spec = pod.spec as { affinity: { podAntiAffinity?: unknown }; tolerations: { key: string; effect: string }[] };
    assert.deepEqual(spec.affinity.podAntiAffinity, { x: 1 }, 'other affinity is kept');
    assert.ok(spec.tolerations.some((t) => t.key === 'node.kubernetes.io/network-unavailable'), 'host network pods tolerate an unready network');
    assert.ok(spec.tolerations.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));
    assert.deepEqual(pod.metadata?.labels, { app: 'agent', 'controller-revision-hash': 'abc', 'pod-template-generation': '3' });
    assert.equal(targetNode({ spec: { nodeName: 'bound' } } as never), 'bound');
  });
});

describe('daemon rolling update budget', () => {
  test('percentages round up over the desired nodes; both zero means one unavailable', () => {
    assert.deepEqual(rollingBudget(ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 0 } }), 10), { maxSurge: 0, maxUnavailable: 3 });
    assert.deepEqual(rollingBudget(ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' } }), 5), { maxSurge: 1, maxUnavailable: 0 });
    assert.deepEqual(rollingBudget(ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }), 5), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(rollingBudget(ds(), 5), { maxSurge: 0, maxUnavailable: 1 });
  });
});
