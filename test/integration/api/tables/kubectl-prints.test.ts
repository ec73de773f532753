/**
 * The real kubectl prints the catalogue's tables: a loopback HTTP server answers discovery and
 * serves meta.k8s.io/v1 Tables built from the convertors, and `kubectl get` output is compared
 * with what kubectl prints against upstream for the same objects. Ages are chosen far from unit
 * boundaries so the text is stable while the test runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Catalogue, apiGroupList, apiResourceList, apiVersions, type KubeObject } from '../../../../src/api/index.js';
import { freePort, kubectl, tempDir } from '../../../helpers/index.js';

const HOUR = 3600;
const ago = (seconds: number): string => new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function objects(): Record<string, KubeObject[]> {
  const ns = 'default';
  return {
    pods: [
      {
        metadata: { name: 'web', namespace: ns, creationTimestamp: ago(10 * HOUR + 600) },
        spec: { nodeName: 'node1', containers: [{ name: 'a' }, { name: 'b' }] },
        status: {
          phase: 'Running',
          podIPs: [{ ip: '10.42.0.5' }],
          containerStatuses: [
            { name: 'a', ready: true, restartCount: 3, state: { running: {} }, lastState: { terminated: { finishedAt: ago(20 * 60 + 30) } } },
            { name: 'b', ready: true, state: { running: {} } },
          ],
        },
      },
      {
        metadata: { name: 'setup', namespace: ns, creationTimestamp: ago(10 * HOUR + 600) },
        spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }] },
        status: { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { running: {} } }] },
      },
    ],
    services: [
      { metadata: { name: 'kubernetes', namespace: ns, creationTimestamp: ago(10 * HOUR + 600) }, spec: { type: 'ClusterIP', clusterIPs: ['10.43.0.1'], ports: [{ port: 443, protocol: 'TCP' }] } },
      {
        metadata: { name: 'web', namespace: ns, creationTimestamp: ago(10 * HOUR + 600) },
        spec: { type: 'NodePort', clusterIPs: ['10.43.12.7'], selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] },
      },
    ],
    deployments: [
      {
        metadata: { name: 'web', namespace: ns, creationTimestamp: ago(30 * HOUR + 600) },
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } } },
        status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
      },
    ],
    jobs: [
      {
        metadata: { name: 'pi', namespace: ns, creationTimestamp: ago(10 * HOUR + 600) },
        spec: { completions: 1, parallelism: 1, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } },
        status: { succeeded: 1, startTime: ago(10 * HOUR), completionTime: ago(10 * HOUR - 42), conditions: [{ type: 'Complete', status: 'True' }] },
      },
    ],
    nodes: [
      {
        metadata: { name: 'node1', creationTimestamp: ago(50 * HOUR + 600), labels: { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' } },
        status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '192.168.1.10' }], nodeInfo: { kubeletVersion: 'v1.32.4+k3s1', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-28-amd64', containerRuntimeVersion: 'containerd://1.7.23' } },
      },
    ],
    clusterroles: [{ metadata: { name: 'view', creationTimestamp: '2024-05-01T10:00:00Z' } }],
  };
}

function serve(catalogue: Catalogue): Server {
  const store = objects();
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/api') return send(200, apiVersions('127.0.0.1'));
    if (path === '/apis') return send(200, apiGroupList(catalogue));
    if (path === '/api/v1') return send(200, apiResourceList(catalogue, '', 'v1'));
    const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gv) return send(200, apiResourceList(catalogue, gv[1] ?? '', gv[2] ?? ''));
    const parts = path.split('/').filter((p) => p !== '');
    const [group, version] = parts[0] === 'api' ? ['', 'v1'] : [parts[1] ?? '', parts[2] ?? ''];
    const info = catalogue.lookup(group, version, parts[parts.length - 1] ?? '');
    if (!info?.table) return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
    const table = info.table;
    const now = new Date();
    return send(200, {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '7' },
      columnDefinitions: table.columns,
      rows: (store[info.resource] ?? []).map((o) => ({
        cells: table.row(o, now),
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
      })),
    });
  });
}

test('kubectl get prints the catalogue tables as it prints upstream tables', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const server = serve(new Catalogue());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n    namespace: default\nusers:\n- name: u\n  user: {}\ncurrent-context: c\n`,
  );
  const env = { kubeconfig, cacheDir: join(dir, 'cache') };
  const get = async (...args: string[]): Promise<string> => {
    const result = await kubectl(env, ['get', ...args]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };

  assert.equal(
    await get('pods'),
    ['NAME    READY   STATUS     RESTARTS      AGE', 'web     2/2     Running    3 (20m ago)   10h', 'setup   0/1     Init:0/1   0             10h', ''].join('\n'),
  );
  assert.equal(
    await get('pods', '-o', 'wide'),
    [
      'NAME    READY   STATUS     RESTARTS      AGE   IP          NODE     NOMINATED NODE   READINESS GATES',
      'web     2/2     Running    3 (20m ago)   10h   10.42.0.5   node1    <none>           <none>',
      'setup   0/1     Init:0/1   0             10h   <none>      <none>   <none>           <none>',
      '',
    ].join('\n'),
  );
  assert.equal(
    await get('services', '-o', 'wide'),
    [
      'NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE   SELECTOR',
      'kubernetes   ClusterIP   10.43.0.1    <none>        443/TCP        10h   <none>',
      'web          NodePort    10.43.12.7   <none>        80:30080/TCP   10h   app=web',
      '',
    ].join('\n'),
  );
  assert.equal(await get('deployments'), ['NAME   READY   UP-TO-DATE   AVAILABLE   AGE', 'web    1/2     2            1           30h', ''].join('\n'));
  assert.equal(await get('jobs'), ['NAME   STATUS     COMPLETIONS   DURATION   AGE', 'pi     Complete   1/1           42s        10h', ''].join('\n'));
  assert.equal(
    await get('nodes', '-o', 'wide'),
    [
      'NAME    STATUS   ROLES                  AGE    VERSION        INTERNAL-IP    EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION   CONTAINER-RUNTIME',
      'node1   Ready    control-plane,master   2d2h   v1.32.4+k3s1   192.168.1.10   <none>        Debian GNU/Linux 12 (bookworm)   6.1.0-28-amd64   containerd://1.7.23',
      '',
    ].join('\n'),
  );
  assert.equal(await get('clusterroles'), ['NAME   CREATED AT', 'view   2024-05-01T10:00:00Z', ''].join('\n'));
});
