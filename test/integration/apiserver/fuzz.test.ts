/**
 * Fuzz-style robustness: random and mutated paths, methods, content types and bodies. The server
 * must answer every one with a non-5xx status and keep serving.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { startHarness } from './harness.js';

/** A tiny deterministic PRNG so a failure can be replayed from the printed seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const VALID = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seed', labels: { a: 'b' } }, data: { k: 'v' } };

function mutate(value: unknown, r: () => number, depth = 0): unknown {
  const choice = r();
  if (depth > 4 || choice < 0.1) {
    const pool = [null, true, 0, -1, 1e308, '', 'x'.repeat(300), '../..', '%00', [], {}, [null], { $patch: 'delete' }, 'Ω≈ç√'];
    return pool[Math.floor(r() * pool.length)];
  }
  if (Array.isArray(value)) return value.map((v) => mutate(v, r, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (r() < 0.15) continue;
      out[r() < 0.1 ? `${k}_x` : k] = mutate(v, r, depth + 1);
    }
    if (r() < 0.2) out[`extra${Math.floor(r() * 10)}`] = mutate({ deep: { er: [1, 'two'] } }, r, depth + 1);
    return out;
  }
  return r() < 0.5 ? value : mutate(undefined, r, depth + 5);
}

const PATHS = [
  '/api/v1/namespaces/default/configmaps',
  '/api/v1/namespaces/default/configmaps/seed',
  '/api/v1/namespaces/default/configmaps/seed/status',
  '/apis/apps/v1/namespaces/default/deployments/x/scale',
  '/api/v1/namespaces/default/pods/p/binding',
  '/api/v1/namespaces/default/pods/p/eviction',
  '/api/v1/namespaces/default/serviceaccounts/default/token',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
  '/api/v1/namespaces',
  '/api/v1/namespaces/default',
  '/api/v1/watch/namespaces/default/configmaps',
  '/apis/apps/v1/deployments',
  '/api/v1/nodes/n1/status',
  '/apis',
  '/api',
  '/openapi/v3',
];
const QUERIES = ['', '?watch=1&timeoutSeconds=1', '?labelSelector=a%20in%20(b', '?fieldSelector=metadata.name==x,,', '?limit=-1', '?limit=2&continue=abc', '?resourceVersion=abc', '?resourceVersion=999999&resourceVersionMatch=Exact', '?dryRun=All', '?fieldValidation=Strict', '?force=true', '?gracePeriodSeconds=x', '?propagationPolicy=Sideways'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const TYPES = ['application/json', 'application/yaml', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'application/vnd.kubernetes.protobuf', 'text/plain', ''];

test('random and mutated requests never get a 5xx and the server keeps serving', async (t) => {
  const h = await startHarness(t);
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100000);
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const rounds = Number(process.env.FUZZ_ROUNDS ?? 400);
  const failures: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const method = pick(METHODS);
    let path = pick(PATHS) + pick(QUERIES);
    if (r() < 0.1) path = path.replace(/[a-z]/, '%');
    if (r() < 0.05) path = `/${randomBytes(6).toString('hex')}/${'a/'.repeat(Math.floor(r() * 5))}`;
    // Watches stream until their timeout: keep them short so the loop moves on.
    if (/watch/.test(path)) path += `${path.includes('?') ? '&' : '?'}timeoutSeconds=1`;
    const type = pick(TYPES);
    let body: string | Buffer | undefined;
    const kind = r();
    if (kind < 0.5) body = JSON.stringify(mutate(VALID, r));
    else if (kind < 0.6) body = randomBytes(Math.floor(r() * 200));
    else if (kind < 0.7) body = JSON.stringify(mutate(VALID, r)).slice(0, Math.floor(r() * 60));
    else if (kind < 0.8) body = JSON.stringify([{ op: pick(['add', 'remove', 'replace', 'move', 'test', 'bogus']), path: pick(['/data/k', '/metadata', '', '/x/y/z', '/data/-']), value: 1 }]);
    else if (kind < 0.85) body = Buffer.concat([Buffer.from('k8s\0'), randomBytes(40)]);
    else body = undefined;
    const headers: Record<string, string> = type ? { 'Content-Type': type } : {};
    if (r() < 0.2) headers['Accept'] = pick(['application/json;as=Table;v=v1;g=meta.k8s.io', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'text/html', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io']);
    const res = await h.request(method, path, { ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}), headers });
    // 504 Timeout for a resourceVersion from the future is upstream's answer too.
    const timeoutStatus = res.status === 504 && (res.text.includes('"reason":"Timeout"') || (method === 'HEAD' && path.includes('resourceVersion=999999')));
    if (res.status >= 500 && !timeoutStatus) failures.push(`${method} ${path} [${type}] -> ${res.status} ${res.text.slice(0, 300)}`);
  }
  assert.deepEqual(failures, [], `seed ${seed}`);
  const alive = await h.request('GET', '/api/v1/namespaces/default');
  assert.equal(alive.status, 200, `seed ${seed}: ${alive.text}`);
});
