/**
 * Identity and permissions through the real kubectl: auth whoami, auth can-i (and --list),
 * impersonation with RBAC, requests without credentials, and malformed input kubectl passes on.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { startCluster, type Cluster } from './kubectl-cluster.js';

const cleanups: (() => unknown)[] = [];
let c: Cluster;

describe('kubectl auth and bad input', () => {
  before(async () => {
    c = await startCluster({ after: (fn) => cleanups.push(fn) });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('auth whoami: the kubeconfig is system:admin in system:masters', async () => {
    const r = await c.kubectl(['auth', 'whoami']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Username\s+system:admin$/m);
    assert.match(r.stdout, /^Groups\s+\[system:masters system:authenticated\]$/m);
  });

  test('auth can-i follows RBAC for an impersonated user', async () => {
    assert.equal((await c.kubectl(['auth', 'can-i', 'create', 'deployments'])).stdout, 'yes\n');
    await c.kubectl(['create', 'role', 'pod-reader', '--verb=get', '--resource=pods']);
    await c.kubectl(['create', 'rolebinding', 'bob-reads', '--role=pod-reader', '--user=bob']);
    assert.equal((await c.kubectl(['auth', 'can-i', 'get', 'pods', '--as=bob'])).stdout, 'yes\n');
    const no = await c.kubectl(['auth', 'can-i', 'delete', 'pods', '--as=bob']);
    assert.equal(no.stdout, 'no\n');
    assert.equal(no.code, 1);
    const denied = await c.kubectl(['get', 'configmaps', '--as=bob']);
    assert.equal(denied.stderr.trim(), 'Error from server (Forbidden): configmaps is forbidden: User "bob" cannot list resource "configmaps" in API group "" in the namespace "default"');
    const list = await c.kubectl(['auth', 'can-i', '--list', '--as=bob']);
    assert.match(list.stdout, /^pods\s+\[\]\s+\[\]\s+\[get\]$/m);
  });

  test('an unknown bearer token gets 401 Unauthorized', async () => {
    const config = parse(readFileSync(c.kubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
    // (With no credentials at all kubectl prompts for a username instead of asking the server.)
    config.users[0]!.user = { token: 'not-a-real-token' };
    const anon = join(c.dir, 'anon.yaml');
    writeFileSync(anon, JSON.stringify(config));
    const r = await c.kubectl(['get', 'pods'], { env: { KUBECONFIG: anon } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
  });

  test('a service-account token authenticates as the service account', async () => {
    await c.kubectl(['create', 'serviceaccount', 'robot']);
    const token = (await c.kubectl(['create', 'token', 'robot'])).stdout.trim();
    const config = parse(readFileSync(c.kubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
    config.users[0]!.user = { token };
    const sa = join(c.dir, 'sa.yaml');
    writeFileSync(sa, JSON.stringify(config));
    const who = await c.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { env: { KUBECONFIG: sa } });
    assert.equal(who.stdout, 'system:serviceaccount:default:robot');
    const denied = await c.kubectl(['get', 'secrets'], { env: { KUBECONFIG: sa } });
    assert.match(denied.stderr, /User "system:serviceaccount:default:robot" cannot list resource "secrets"/);
  });

  test('malformed YAML, wrong kinds and missing namespaces are refused; nothing is stored', async () => {
    const yaml = await c.kubectl(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n' });
    assert.equal(yaml.code, 1);
    // --validate=false: for a kind its OpenAPI v3 lacks, kubectl falls back to /openapi/v2 as protobuf.
    const kind = await c.kubectl(['create', '--validate=false', '-f', '-'], { input: 'apiVersion: v1\nkind: Deployment\nmetadata: {name: x}\n' });
    assert.equal(kind.code, 1);
    assert.match(kind.stderr, /no matches for kind "Deployment" in version "v1"/);
    const ns = await c.kubectl(['create', '-n', 'nowhere', 'configmap', 'x']);
    assert.equal(ns.stderr.trim(), 'error: failed to create configmap: namespaces "nowhere" not found');
    const big = await c.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { k: 'x'.repeat(3_200_000) } }) });
    assert.equal(big.code, 1);
    assert.match(big.stderr, /Request entity too large: limit is 3145728/);
    const names = await c.kubectl(['get', 'cm', '-A', '-o', 'name']);
    assert.doesNotMatch(names.stdout, /configmap\/(x|big)\n/);
  });
});
