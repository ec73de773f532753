import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtobufObject } from '../../../src/api/protobuf/index.js';
import { freePort, kubectl, tempDir } from '../../helpers/index.js';
import { startProbeServer } from './probe-server.js';

/** What kubectl would send as JSON for the same command (-o json --dry-run=client). */
async function clientJson(env: { kubeconfig: string; cacheDir: string }, args: string[]): Promise<unknown> {
  const dashes = args.indexOf('--');
  const flags = ['--dry-run=client', '-o', 'json'];
  const full = dashes < 0 ? [...args, ...flags] : [...args.slice(0, dashes), ...flags, ...args.slice(dashes)];
  const result = await kubectl(env, full);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as unknown;
}

const COMMANDS: Record<string, string[]> = {
  configmap: ['create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two'],
  secret: ['create', 'secret', 'generic', 'sec', '--from-literal=password=s3cr3t', '--type=Opaque'],
  deployment: ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=0', '--port=80'],
  namespace: ['create', 'namespace', 'team-a'],
  job: ['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'],
  cronjob: ['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'],
  service: ['create', 'service', 'nodeport', 'np', '--tcp=8080:80', '--node-port=30080'],
  serviceaccount: ['create', 'serviceaccount', 'robot'],
  role: ['create', 'role', 'reader', '--verb=get,list', '--resource=pods,configmaps'],
  rolebinding: ['create', 'rolebinding', 'rb', '--role=reader', '--user=alice', '--serviceaccount=default:robot'],
  clusterrole: ['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/healthz'],
  clusterrolebinding: ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--group=devs'],
  quota: ['create', 'quota', 'q', '--hard=cpu=2,memory=1Gi,pods=10'],
  priorityclass: ['create', 'priorityclass', 'zero', '--value=0', '--description=free tier', '--preemption-policy=Never'],
  poddisruptionbudget: ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=50%'],
  ingress: ['create', 'ingress', 'ing', '--rule=example.com/api*=svc:8080', '--class=traefik'],
  'ingress with tls and default backend': ['create', 'ingress', 'ing2', '--rule=foo.com/=svc1:http,tls=my-cert', '--default-backend=defsvc:80', '--annotation=a=b'],
  'docker-registry secret': ['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example', '--docker-username=u', '--docker-password=p'],
  'clusterip service': ['create', 'service', 'clusterip', 'cip', '--tcp=5678:8080', '--clusterip=None'],
  'externalname service': ['create', 'service', 'externalname', 'ext', '--external-name=example.com'],
  'loadbalancer service': ['create', 'service', 'loadbalancer', 'lb', '--tcp=443:8443'],
  'deployment with two images': ['create', 'deployment', 'multi', '--image=nginx', '--image=busybox'],
  'global default priorityclass': ['create', 'priorityclass', 'high', '--value=1000', '--global-default=true'],
  'quota with scopes': ['create', 'quota', 'bq', '--hard=pods=2', '--scopes=BestEffort'],
  'pdb with max-unavailable': ['create', 'poddisruptionbudget', 'pdb2', '--selector=app=x', '--max-unavailable=1'],
  'role with resource names': ['create', 'role', 'pod-reader', '--verb=get', '--resource=pods', '--resource-name=readablepod'],
  'aggregated clusterrole': ['create', 'clusterrole', 'agg', '--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true'],
};

test('kubectl create <kind> sends protobuf bodies that decode to the JSON kubectl would send', async (t) => {
  const dir = tempDir(t);
  const probe = await startProbeServer(dir, await freePort());
  t.after(() => probe.close());
  const env = { kubeconfig: probe.kubeconfig, cacheDir: tempDir(t) };
  const mismatches: string[] = [];
  for (const [name, args] of Object.entries(COMMANDS)) {
    const before = probe.requests.length;
    const sent = await kubectl(env, args);
    const request = probe.requests[before];
    assert.ok(request, `kubectl ${args.join(' ')} sent nothing: ${sent.stderr}`);
    assert.match(request.contentType, /application\/vnd\.kubernetes\.protobuf/, `${name} body type`);
    const decoded = decodeProtobufObject(request.body);
    const expected = await clientJson(env, args);
    try {
      assert.deepEqual(decoded, expected);
    } catch {
      mismatches.push(`${name}:\n decoded ${JSON.stringify(decoded)}\n expected ${JSON.stringify(expected)}`);
    }
  }
  assert.deepEqual(mismatches, []);
});

test('kubectl create token, auth can-i and auth whoami bodies decode', async (t) => {
  const dir = tempDir(t);
  const probe = await startProbeServer(dir, await freePort());
  t.after(() => probe.close());
  const env = { kubeconfig: probe.kubeconfig, cacheDir: tempDir(t) };

  await kubectl(env, ['create', 'token', 'robot', '--duration=10m', '--audience=api']);
  await kubectl(env, ['auth', 'can-i', 'list', 'pods', '--subresource=log']);
  await kubectl(env, ['auth', 'whoami']);
  await kubectl(env, ['auth', 'can-i', '--list', '--namespace=kube-system']);
  const bodies = probe.requests.map((r) => decodeProtobufObject(r.body));
  assert.deepEqual(bodies[0], {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    // The name and namespace travel in the URL; kubectl leaves the body's metadata empty.
    metadata: { creationTimestamp: null },
    spec: { audiences: ['api'], expirationSeconds: 600 },
    status: { token: '', expirationTimestamp: null },
  });
  assert.equal((bodies[1] as { kind: string }).kind, 'SelfSubjectAccessReview');
  assert.deepEqual((bodies[1] as { spec: unknown }).spec, {
    resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods', subresource: 'log' },
  });
  assert.deepEqual(bodies[2], { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo: {} } });
  assert.deepEqual(bodies[3], {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { namespace: 'kube-system' },
    status: { resourceRules: null, nonResourceRules: null, incomplete: false },
  });
});

test('kubectl reads protobuf responses encoded from JSON: can-i, create token, create configmap', async (t) => {
  const dir = tempDir(t);
  const probe = await startProbeServer(dir, await freePort(), { answer: (request, decoded) => {
    if (decoded.kind === 'SelfSubjectAccessReview') return { ...decoded, status: { allowed: true, reason: 'probe says so' } };
    if (decoded.kind === 'TokenRequest') return { ...decoded, status: { token: 'tok.en.value', expirationTimestamp: '2030-01-02T03:04:05Z' } };
    return { ...decoded, metadata: { ...(decoded.metadata as object), uid: 'u-1', resourceVersion: '7', creationTimestamp: '2025-01-01T00:00:00Z' } };
  } });
  t.after(() => probe.close());
  const env = { kubeconfig: probe.kubeconfig, cacheDir: tempDir(t) };
  const canI = await kubectl(env, ['auth', 'can-i', 'delete', 'nodes']);
  assert.equal(canI.stdout.trim(), 'yes', canI.stderr);
  const token = await kubectl(env, ['create', 'token', 'robot']);
  assert.equal(token.stdout.trim(), 'tok.en.value', token.stderr);
  const created = await kubectl(env, ['create', 'configmap', 'cfg', '--from-literal=a=1', '-o', 'jsonpath={.metadata.uid} {.metadata.resourceVersion} {.data.a} {.metadata.creationTimestamp}']);
  assert.equal(created.stdout, 'u-1 7 1 2025-01-01T00:00:00Z', created.stderr);
  assert.ok(probe.requests.every((r) => r.accept.includes('application/vnd.kubernetes.protobuf')), 'kubectl asked for protobuf');
});
