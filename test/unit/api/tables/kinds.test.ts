import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogue, type KubeObject } from '../../../../src/api/index.js';
import { humanDuration } from '../../../../src/api/tables/index.js';

const catalogue = new Catalogue();
const now = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, creationTimestamp: ago(3 * 3600 + 5), ...extra });

function table(group: string, resource: string) {
  const info = catalogue.lookup(group, 'v1', resource) ?? catalogue.lookup(group, 'v2', resource);
  assert.ok(info?.table, `${group}/${resource} has a table`);
  return info.table;
}
const header = (group: string, resource: string): string[] =>
  table(group, resource).columns.map((c) => (c.priority > 0 ? `(${c.name})` : c.name).toUpperCase());
const row = (group: string, resource: string, object: KubeObject): unknown[] => table(group, resource).row(object, now);

test('every listable built-in kind has a table whose rows fit its columns', () => {
  for (const info of catalogue.all()) {
    if (!info.verbs.includes('list')) continue;
    assert.ok(info.table, `${info.group}/${info.resource} has a table`);
    for (const object of [{}, { metadata: { name: 'x', creationTimestamp: ago(10) }, spec: {}, status: {} }]) {
      assert.equal(info.table.row(object, now).length, info.table.columns.length, `${info.group}/${info.resource}`);
    }
  }
});

test('kinds without an upstream printer show NAME and CREATED AT', () => {
  assert.deepEqual(header('rbac.authorization.k8s.io', 'clusterroles'), ['NAME', 'CREATED AT']);
  assert.equal(table('rbac.authorization.k8s.io', 'roles').columns[1]?.type, 'date');
  assert.deepEqual(row('', 'limitranges', { metadata: meta('lr') }), ['lr', '2024-05-01T08:59:55Z']);
  assert.deepEqual(header('apiextensions.k8s.io', 'customresourcedefinitions'), ['NAME', 'CREATED AT']);
});

test('ages read like kubectl prints them', () => {
  const cases: [number, string][] = [
    [0, '0s'], [-1500, '0s'], [-2500, '<invalid>'], [59_000, '59s'], [119_000, '119s'], [120_000, '2m'], [125_000, '2m5s'],
    [600_000, '10m'], [179 * 60_000, '179m'], [3 * 3600_000 + 5 * 60_000, '3h5m'], [8 * 3600_000, '8h'], [47 * 3600_000, '47h'],
    [50 * 3600_000, '2d2h'], [8 * 86400_000, '8d'], [800 * 86400_000, '2y70d'], [9 * 365 * 86400_000, '9y'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
});

test('deployments: READY UP-TO-DATE AVAILABLE AGE, wide CONTAINERS IMAGES SELECTOR', () => {
  assert.deepEqual(header('apps', 'deployments'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', '(CONTAINERS)', '(IMAGES)', '(SELECTOR)']);
  const d = {
    metadata: meta('web'),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web', tier: 'fe' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] },
      template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }, { name: 'side', image: 'busybox' }] } },
    },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(row('apps', 'deployments', d), ['web', '2/3', 3, 2, '3h', 'nginx,side', 'nginx:1.25,busybox', 'app=web,env in (dev,prod),tier=fe']);
});

test('replica sets, stateful sets and daemon sets', () => {
  const template = { spec: { containers: [{ name: 'c', image: 'i' }], nodeSelector: { 'kubernetes.io/os': 'linux' } } };
  assert.deepEqual(row('apps', 'replicasets', { metadata: meta('rs'), spec: { replicas: 2, template, selector: {} }, status: { replicas: 2, readyReplicas: 1 } }), [
    'rs', 2, 2, 1, '3h', 'c', 'i', '<none>',
  ]);
  assert.deepEqual(header('apps', 'statefulsets'), ['NAME', 'READY', 'AGE', '(CONTAINERS)', '(IMAGES)']);
  assert.deepEqual(row('apps', 'statefulsets', { metadata: meta('db'), spec: { replicas: 3, template }, status: { readyReplicas: 3 } }), ['db', '3/3', '3h', 'c', 'i']);
  assert.deepEqual(header('apps', 'daemonsets'), [
    'NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE', '(CONTAINERS)', '(IMAGES)', '(SELECTOR)',
  ]);
  const ds = { metadata: meta('ds'), spec: { template, selector: { matchLabels: { a: 'b' } } }, status: { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 } };
  assert.deepEqual(row('apps', 'daemonsets', ds), ['ds', 1, 1, 1, 1, 1, 'kubernetes.io/os=linux', '3h', 'c', 'i', 'a=b']);
});

test('jobs: STATUS COMPLETIONS DURATION AGE', () => {
  assert.deepEqual(header('batch', 'jobs'), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', '(CONTAINERS)', '(IMAGES)', '(SELECTOR)']);
  const base = { metadata: meta('pi'), spec: { completions: 1, parallelism: 1, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } } };
  const done = { ...base, status: { succeeded: 1, startTime: ago(100), completionTime: ago(40), conditions: [{ type: 'Complete', status: 'True' }] } };
  assert.deepEqual(row('batch', 'jobs', done).slice(0, 5), ['pi', 'Complete', '1/1', '60s', '3h']);
  const running = { ...base, spec: { ...base.spec, completions: undefined, parallelism: 3 }, status: { startTime: ago(30) } };
  assert.deepEqual(row('batch', 'jobs', running).slice(1, 4), ['Running', '0/1 of 3', '30s']);
  assert.deepEqual(row('batch', 'jobs', { ...base, status: {} }).slice(1, 4), ['Running', '0/1', '']);
  const failed = { ...base, status: { conditions: [{ type: 'Failed', status: 'True' }] } };
  assert.equal(row('batch', 'jobs', failed)[1], 'Failed');
  assert.equal(row('batch', 'jobs', { ...base, metadata: meta('pi', { deletionTimestamp: ago(1) }) })[1], 'Terminating');
  assert.equal(row('batch', 'jobs', { ...base, status: { conditions: [{ type: 'Suspended', status: 'True' }] } })[1], 'Suspended');
});

test('cron jobs: SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE', () => {
  assert.deepEqual(header('batch', 'cronjobs').slice(0, 7), ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
  const cj = { metadata: meta('tick'), spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } } }, status: { active: [{ name: 'tick-1' }], lastScheduleTime: ago(65) } };
  assert.deepEqual(row('batch', 'cronjobs', cj), ['tick', '*/5 * * * *', '<none>', 'False', 1, '65s', '3h', 'c', 'i', '<none>']);
});

test('services: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, wide SELECTOR', () => {
  assert.deepEqual(header('', 'services'), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', '(SELECTOR)']);
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => row('', 'services', { metadata: meta('s'), spec, status });
  assert.deepEqual(svc({ type: 'ClusterIP', clusterIPs: ['10.43.0.1'], ports: [{ port: 443, protocol: 'TCP' }] }), ['s', 'ClusterIP', '10.43.0.1', '<none>', '443/TCP', '3h', '<none>']);
  assert.deepEqual(svc({ type: 'NodePort', clusterIPs: ['10.43.1.2'], selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP', nodePort: 30053 }] }).slice(1), [
    'NodePort', '10.43.1.2', '<none>', '80:30080/TCP,53:30053/UDP', '3h', 'app=web',
  ]);
  assert.equal(svc({ type: 'LoadBalancer', clusterIPs: ['10.43.1.3'], ports: [] })[3], '<pending>');
  assert.equal(svc({ type: 'LoadBalancer', ports: [] }, { loadBalancer: { ingress: [{ ip: '192.168.1.20' }, { hostname: 'lb.example' }] } })[3], '192.168.1.20,lb.example');
  assert.deepEqual(svc({ type: 'ExternalName', externalName: 'db.example.com' }).slice(2, 5), ['<none>', 'db.example.com', '<none>']);
  assert.equal(svc({ type: 'ClusterIP', clusterIPs: ['None'] })[2], 'None');
});

test('endpoints and endpoint slices list up to three addresses', () => {
  const ep = { metadata: meta('kubernetes'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: 'fd00::3' }, { ip: '10.0.0.4' }], ports: [{ port: 6443 }] }] };
  assert.deepEqual(row('', 'endpoints', ep), ['kubernetes', '10.0.0.1:6443,10.0.0.2:6443,[fd00::3]:6443 + 1 more...', '3h']);
  assert.deepEqual(row('', 'endpoints', { metadata: meta('none') }), ['none', '<none>', '3h']);
  const slice = { metadata: meta('k-abc'), addressType: 'IPv4', ports: [{ port: 6443, name: 'https' }], endpoints: [{ addresses: ['10.0.0.1'] }] };
  assert.deepEqual(row('discovery.k8s.io', 'endpointslices', slice), ['k-abc', 'IPv4', '6443', '10.0.0.1', '3h']);
  assert.deepEqual(row('discovery.k8s.io', 'endpointslices', { metadata: meta('e') }).slice(2, 4), ['<unset>', '<unset>']);
});

test('nodes: STATUS ROLES AGE VERSION and the wide addresses and versions', () => {
  assert.deepEqual(header('', 'nodes'), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', '(INTERNAL-IP)', '(EXTERNAL-IP)', '(OS-IMAGE)', '(KERNEL-VERSION)', '(CONTAINER-RUNTIME)']);
  const node = {
    metadata: meta('n1', { labels: { 'node-role.kubernetes.io/master': 'true', 'node-role.kubernetes.io/control-plane': 'true', 'kubernetes.io/role': 'etcd' } }),
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.168.0.10' }, { type: 'Hostname', address: 'n1' }],
      nodeInfo: { kubeletVersion: 'v1.32.4+k3s1', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.24' },
    },
  };
  assert.deepEqual(row('', 'nodes', node), [
    'n1', 'Ready,SchedulingDisabled', 'control-plane,etcd,master', '3h', 'v1.32.4+k3s1', '192.168.0.10', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'containerd://1.7.24',
  ]);
  assert.deepEqual(row('', 'nodes', { metadata: meta('n2') }).slice(1, 3), ['Unknown', '<none>']);
});

test('namespaces, config maps, secrets, service accounts', () => {
  assert.deepEqual(row('', 'namespaces', { metadata: meta('default'), status: { phase: 'Active' } }), ['default', 'Active', '3h']);
  assert.deepEqual(row('', 'configmaps', { metadata: meta('cm'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), ['cm', 3, '3h']);
  assert.deepEqual(header('', 'secrets'), ['NAME', 'TYPE', 'DATA', 'AGE']);
  assert.deepEqual(row('', 'secrets', { metadata: meta('s'), type: 'Opaque', data: { k: 'dg==' } }), ['s', 'Opaque', 1, '3h']);
  assert.deepEqual(header('', 'serviceaccounts'), ['NAME', 'SECRETS', 'AGE']);
  assert.deepEqual(row('', 'serviceaccounts', { metadata: meta('default') }), ['default', 0, '3h']);
});

test('events: LAST SEEN TYPE REASON OBJECT MESSAGE, the rest wide', () => {
  assert.deepEqual(header('', 'events'), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', '(SUBOBJECT)', '(SOURCE)', 'MESSAGE', '(FIRST SEEN)', '(COUNT)', '(NAME)']);
  const ev = {
    metadata: meta('web.17c'),
    involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{nginx}' },
    reason: 'Pulled', type: 'Normal', message: ' Successfully pulled image\n', count: 4,
    firstTimestamp: ago(600), lastTimestamp: ago(30), source: { component: 'kubelet', host: 'n1' },
  };
  assert.deepEqual(row('', 'events', ev), ['30s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{nginx}', 'kubelet, n1', 'Successfully pulled image', '10m', 4, 'web.17c']);
  const fresh = { metadata: meta('x'), involvedObject: { kind: 'Node' }, eventTime: ago(5), reportingComponent: 'k3s', series: { count: 7, lastObservedTime: ago(2) } };
  assert.deepEqual(row('', 'events', fresh).slice(0, 9), ['2s', '', '', 'node', '', 'k3s', '', '5s', 7]);
  const v1 = { metadata: meta('y'), regarding: { kind: 'Pod', name: 'p' }, note: 'hi', reason: 'R', type: 'Warning', eventTime: ago(3), reportingController: 'c', reportingInstance: 'i' };
  assert.deepEqual(row('events.k8s.io', 'events', v1), ['3s', 'Warning', 'R', 'pod/p', '', 'c, i', 'hi', '3s', 1, 'y']);
});

test('volumes, claims and storage classes', () => {
  const pv = { metadata: meta('pv1'), spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local-path' }, status: { phase: 'Bound' } };
  assert.deepEqual(row('', 'persistentvolumes', pv), ['pv1', '1Gi', 'RWO,RWX', 'Delete', 'Bound', 'default/data', 'local-path', '<unset>', '', '3h', '<unset>']);
  const pvc = { metadata: meta('data'), spec: { volumeName: 'pv1', storageClassName: 'local-path', volumeMode: 'Filesystem' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } };
  assert.deepEqual(row('', 'persistentvolumeclaims', pvc), ['data', 'Bound', 'pv1', '1Gi', 'RWO', 'local-path', '<unset>', '3h', 'Filesystem']);
  assert.deepEqual(row('', 'persistentvolumeclaims', { metadata: meta('p'), spec: {}, status: { phase: 'Pending' } }).slice(1, 5), ['Pending', '', '', '']);
  const sc = { metadata: meta('local-path', { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }), provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' };
  assert.deepEqual(row('storage.k8s.io', 'storageclasses', sc), ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '3h']);
});

test('ingresses, network policies, leases, priority classes, bindings, quotas, PDBs', () => {
  const ing = { metadata: meta('i'), spec: { ingressClassName: 'traefik', rules: [{ host: 'a.example' }, {}, { host: 'b.example' }], tls: [{}] }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } } };
  assert.deepEqual(row('networking.k8s.io', 'ingresses', ing), ['i', 'traefik', 'a.example,b.example', '10.0.0.9', '80, 443', '3h']);
  assert.deepEqual(row('networking.k8s.io', 'networkpolicies', { metadata: meta('np'), spec: { podSelector: {} } }), ['np', '<none>', '3h']);
  assert.deepEqual(row('coordination.k8s.io', 'leases', { metadata: meta('n1'), spec: { holderIdentity: 'n1' } }), ['n1', 'n1', '3h']);
  assert.deepEqual(row('scheduling.k8s.io', 'priorityclasses', { metadata: meta('system-node-critical'), value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }), [
    'system-node-critical', 2000001000, false, '3h', 'PreemptLowerPriority',
  ]);
  const rb = { metadata: meta('rb'), roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', namespace: 'ns', name: 'sa' }, { kind: 'User', name: 'bob' }] };
  assert.deepEqual(row('rbac.authorization.k8s.io', 'rolebindings', rb), ['rb', 'ClusterRole/view', '3h', 'alice, bob', 'devs', 'ns/sa']);
  const quota = { metadata: meta('q'), status: { hard: { pods: '10', 'limits.cpu': '2', 'requests.memory': '1Gi' }, used: { pods: '1', 'requests.memory': '0' } } };
  assert.deepEqual(row('', 'resourcequotas', quota), ['q', '3h', 'pods: 1/10, requests.memory: 0/1Gi', 'limits.cpu: 0/2']);
  assert.deepEqual(row('policy', 'poddisruptionbudgets', { metadata: meta('pdb'), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }), ['pdb', '50%', 'N/A', 1, '3h']);
});

test('controller revisions name their controller by lower-cased group kind', () => {
  const cr = { metadata: meta('ds-7f', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'u', controller: true }] }), revision: 2 };
  assert.deepEqual(row('apps', 'controllerrevisions', cr), ['ds-7f', 'daemonset.apps/ds', 2, '3h']);
});

test('scale subresources print NAME DESIRED AVAILABLE AGE', async () => {
  const { scaleTable } = await import('../../../../src/api/tables/index.js');
  assert.deepEqual(scaleTable.columns.map((c) => c.name), ['Name', 'Desired', 'Available', 'Age']);
  assert.deepEqual(scaleTable.row({ metadata: meta('web'), spec: { replicas: 3 }, status: { replicas: 2 } }, now), ['web', 3, 2, '3h']);
});
