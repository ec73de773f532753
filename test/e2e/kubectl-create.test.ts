/**
 * Every `kubectl create <kind>` generator (kubectl 1.32 sends most of them as protobuf) against a
 * real `k3s server --disable-agent`, and what the server made of each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCluster, type Cluster } from './kubectl-cluster.js';

const cleanups: (() => unknown)[] = [];
let c: Cluster;

const get = async (args: string[], path: string): Promise<string> => {
  const r = await c.kubectl(['get', ...args, '-o', `jsonpath=${path}`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};

describe('kubectl create generators', () => {
  before(async () => {
    c = await startCluster({ after: (fn) => cleanups.push(fn) });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  const cases: [string, string[], string][] = [
    ['namespace', ['namespace', 'team-a'], 'namespace/team-a created'],
    ['configmap', ['configmap', 'settings', '--from-literal=mode=fast', '--from-literal=level=3'], 'configmap/settings created'],
    ['secret generic', ['secret', 'generic', 'creds', '--from-literal=password=s3cret'], 'secret/creds created'],
    ['secret docker-registry', ['secret', 'docker-registry', 'pull', '--docker-server=r.example.com', '--docker-username=u', '--docker-password=p'], 'secret/pull created'],
    ['deployment', ['deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=80'], 'deployment.apps/web created'],
    ['job', ['job', 'once', '--image=busybox', '--', 'echo', 'hi'], 'job.batch/once created'],
    ['cronjob', ['cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'], 'cronjob.batch/tick created'],
    ['service clusterip', ['service', 'clusterip', 'web', '--tcp=80:8080'], 'service/web created'],
    ['service nodeport', ['service', 'nodeport', 'np', '--tcp=80:8080'], 'service/np created'],
    ['service loadbalancer', ['service', 'loadbalancer', 'lb', '--tcp=443:8443'], 'service/lb created'],
    ['service externalname', ['service', 'externalname', 'ext', '--external-name=example.com'], 'service/ext created'],
    ['serviceaccount', ['serviceaccount', 'robot'], 'serviceaccount/robot created'],
    ['role', ['role', 'pod-reader', '--verb=get,list', '--resource=pods'], 'role.rbac.authorization.k8s.io/pod-reader created'],
    ['rolebinding', ['rolebinding', 'read-pods', '--role=pod-reader', '--user=bob'], 'rolebinding.rbac.authorization.k8s.io/read-pods created'],
    ['clusterrole', ['clusterrole', 'node-reader', '--verb=get', '--resource=nodes'], 'clusterrole.rbac.authorization.k8s.io/node-reader created'],
    ['clusterrolebinding', ['clusterrolebinding', 'read-nodes', '--clusterrole=node-reader', '--group=ops'], 'clusterrolebinding.rbac.authorization.k8s.io/read-nodes created'],
    ['quota', ['quota', 'small', '--hard=pods=10,services=5'], 'resourcequota/small created'],
    ['priorityclass', ['priorityclass', 'high', '--value=1000', '--description=important'], 'priorityclass.scheduling.k8s.io/high created'],
    ['poddisruptionbudget', ['poddisruptionbudget', 'web-pdb', '--selector=app=web', '--min-available=1'], 'poddisruptionbudget.policy/web-pdb created'],
    ['ingress', ['ingress', 'site', '--rule=example.com/=web:80'], 'ingress.networking.k8s.io/site created'],
  ];
  for (const [what, args, expected] of cases) {
    test(`create ${what}`, async () => {
      const r = await c.kubectl(['create', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), expected);
    });
  }

  test('the created objects carry what the generators asked for, with server defaults', async () => {
    assert.equal(await get(['cm', 'settings'], '{.data.mode} {.data.level}'), 'fast 3');
    assert.equal(await get(['secret', 'creds'], '{.type} {.data.password}'), `Opaque ${Buffer.from('s3cret').toString('base64')}`);
    assert.equal(await get(['secret', 'pull'], '{.type}'), 'kubernetes.io/dockerconfigjson');
    assert.equal(await get(['deploy', 'web'], '{.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.template.spec.restartPolicy}'), '3 80 Always');
    assert.equal(await get(['job', 'once'], '{.spec.backoffLimit} {.spec.template.spec.restartPolicy}'), '6 Never');
    assert.equal(await get(['cronjob', 'tick'], '{.spec.schedule} {.spec.concurrencyPolicy}'), '*/5 * * * * Allow');
    assert.match(await get(['svc', 'web'], '{.spec.clusterIP}'), /^10\.43\.\d+\.\d+$/);
    const nodePort = Number(await get(['svc', 'np'], '{.spec.ports[0].nodePort}'));
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    assert.equal(await get(['svc', 'ext'], '{.spec.type} {.spec.externalName}'), 'ExternalName example.com');
    assert.equal(await get(['role', 'pod-reader'], '{.rules[0].verbs}'), '["get","list"]');
    assert.equal(await get(['priorityclass', 'high'], '{.value} {.description}'), '1000 important');
    assert.equal(await get(['ns', 'team-a'], '{.status.phase}'), 'Active');
  });

  test('create token signs a service-account token the server then accepts', async () => {
    const r = await c.kubectl(['create', 'token', 'robot', '--duration=10m']);
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; exp: number; iat: number };
    assert.equal(claims.sub, 'system:serviceaccount:default:robot');
    assert.equal(claims.exp - claims.iat, 600);
    const missing = await c.kubectl(['create', 'token', 'nobody']);
    assert.equal(missing.stderr.trim(), 'error: failed to create token: serviceaccounts "nobody" not found');
  });

  test('invalid names are 422 Invalid with upstream wording and nothing stored', async () => {
    const r = await c.kubectl(['create', 'configmap', 'Bad_Name']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
    const dup = await c.kubectl(['create', 'configmap', 'settings']);
    assert.equal(dup.stderr.trim(), 'error: failed to create configmap: configmaps "settings" already exists');
  });
});
