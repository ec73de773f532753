/**
 * Benchmark: NetworkPolicy rule sync on a node with many pods (root; runs in a network namespace
 * it makes). 500 pods in 10 namespaces (250 on this node), 100 ingress policies with podSelector,
 * namespaceSelector+podSelector peers and a named port: rule generation, the first atomic
 * iptables-restore, and one incremental sync after a pod's labels change (only the chains that
 * name it are rewritten).
 * Run: node dist/test/bench/network-policy.js
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { buildChains, restoreInput, type NetworkPolicy, type NpPod } from '../../src/netpol/rules.js';

const NS = `k3s-np-bench-${process.pid}`;
const pods: NpPod[] = [];
for (let i = 0; i < 500; i++) {
  pods.push({
    metadata: { namespace: `ns${i % 10}`, name: `p${i}`, uid: `u${i}`, labels: { app: `a${i % 20}` } },
    spec: { nodeName: i % 2 ? 'n1' : 'n2', containers: [{ ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: `10.42.${Math.floor(i / 250)}.${(i % 250) + 2}` },
  });
}
const namespaces = Array.from({ length: 10 }, (_, i) => ({ metadata: { name: `ns${i}`, labels: { team: i % 2 ? 'a' : 'b' } } }));
const policies: NetworkPolicy[] = [];
for (let i = 0; i < 100; i++) {
  policies.push({
    metadata: { namespace: `ns${i % 10}`, name: `pol${i}` },
    spec: {
      podSelector: { matchLabels: { app: `a${i % 20}` } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: `a${(i + 1) % 20}` } } }, { namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { app: `a${(i + 2) % 20}` } } }], ports: [{ port: 'http' }] }],
    },
  });
}

const restore = (input: string): void => {
  execFileSync('ip', ['netns', 'exec', NS, 'iptables-restore', '-w', '--noflush'], { input });
};

execFileSync('ip', ['netns', 'add', NS]);
try {
  let t = performance.now();
  const chains = buildChains({ pods, namespaces, policies }, 'n1');
  const buildMs = performance.now() - t;
  const first = restoreInput(new Map(), chains);
  t = performance.now();
  restore(first);
  const restoreMs = performance.now() - t;
  pods[1]!.metadata!.labels = { app: 'changed' };
  t = performance.now();
  const next = buildChains({ pods, namespaces, policies }, 'n1');
  const delta = restoreInput(chains, next);
  restore(delta);
  const incrementalMs = performance.now() - t;
  const rules = [...chains.values()].reduce((n, r) => n + r.length, 0);
  console.log(JSON.stringify({ localPods: 250, policies: 100, chains: chains.size, rules, buildMs: Math.round(buildMs), firstRestoreMs: Math.round(restoreMs), incrementalSyncMs: Math.round(incrementalMs), incrementalLines: delta.split('\n').length, load: loadavg().map((l) => l.toFixed(1)).join(' ') }));
} finally {
  execFileSync('ip', ['netns', 'del', NS]);
}
