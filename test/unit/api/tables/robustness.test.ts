import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogue, type KubeObject } from '../../../../src/api/index.js';
import { validateObjectMeta } from '../../../../src/api/validation/index.js';

const catalogue = new Catalogue();

/** A deterministic PRNG so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['metadata', 'spec', 'status', 'containers', 'template', 'ports', 'selector', 'matchLabels', 'labels', 'name', 'image', 'type', 'data', 'rules', 'subjects', 'roleRef', 'conditions', 'port', 'protocol', 'replicas', 'schedule', 'jobTemplate', 'initContainers', 'containerStatuses', 'state', 'waiting', 'terminated', 'clusterIPs', 'subsets', 'addresses', 'items', 'finalizers', 'annotations', 'volumes', 'strategy', 'rollingUpdate'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 8));
  switch (pick) {
    case 0: return null;
    case 1: return Math.floor(next() * 200000) - 100000;
    case 2: return ['', 'x', 'Always', 'True', '50%', '-1', '1Gi', '2024-05-01T00:00:00Z', 'a/b/c', '\u0000'][Math.floor(next() * 10)];
    case 3: return next() > 0.5;
    case 4: return 1.5;
    case 5: return 'Running';
    case 6: return Array.from({ length: Math.floor(next() * 3) }, () => randomValue(next, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < 1 + Math.floor(next() * 4); i++) o[KEYS[Math.floor(next() * KEYS.length)] ?? 'x'] = randomValue(next, depth + 1);
      return o;
    }
  }
}

test('tables, defaults and validation never throw on malformed objects', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  let runs = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const next = rng(seed);
    for (const info of catalogue.all()) {
      const object = { ...(randomValue(next, 0) as object), metadata: randomValue(next, 1) } as KubeObject;
      const old = randomValue(next, 0) as KubeObject;
      const context = `${info.group}/${info.kind} seed ${seed}`;
      assert.doesNotThrow(() => info.table?.row(structuredClone(object), now), context);
      const copy = structuredClone(object);
      assert.doesNotThrow(() => info.defaults?.(copy), context);
      assert.doesNotThrow(() => validateObjectMeta(info, copy, old !== null && typeof old === 'object' && !Array.isArray(old) ? old : undefined), context);
      assert.doesNotThrow(() => info.validate?.(copy), context);
      assert.doesNotThrow(() => info.validate?.(copy, copy), context);
      runs++;
    }
  }
  assert.ok(runs > 1000);
});
