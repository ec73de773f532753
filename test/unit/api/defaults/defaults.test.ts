import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogue, type KubeObject } from '../../../../src/api/index.js';
import { defaultPullPolicy } from '../../../../src/api/defaults/index.js';

const catalogue = new Catalogue();
function defaulted(group: string, version: string, kind: string, object: KubeObject): KubeObject {
  const info = catalogue.byKind({ group, version, kind });
  assert.ok(info?.defaults, `${kind} has defaults`);
  const copy = structuredClone(object);
  info.defaults(copy);
  return copy;
}

/** What `kubectl run web --image=nginx -o yaml` shows upstream, minus admission-added volumes. */
test('a minimal pod gets the defaults kubectl shows for it', () => {
  const pod = defaulted('', 'v1', 'Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } });
  assert.deepEqual(pod['spec'], {
    containers: [
      {
        name: 'web',
        image: 'nginx',
        imagePullPolicy: 'Always',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ],
    dnsPolicy: 'ClusterFirst',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
  });
  assert.deepEqual(pod['status'], { phase: 'Pending', qosClass: 'BestEffort' });
});

test('explicit values are kept, including zero grace periods', () => {
  const pod = defaulted('', 'v1', 'Pod', {
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: 'Default', containers: [{ name: 'a', image: 'busybox', imagePullPolicy: 'Never' }] },
  });
  const spec = pod['spec'] as Record<string, unknown>;
  assert.equal(spec['restartPolicy'], 'Never');
  assert.equal(spec['terminationGracePeriodSeconds'], 0);
  assert.equal(spec['dnsPolicy'], 'Default');
  assert.equal((spec['containers'] as Record<string, unknown>[])[0]?.['imagePullPolicy'], 'Never');
});

test('pull policy is Always only for :latest or an untagged, undigested image', () => {
  assert.equal(defaultPullPolicy('nginx'), 'Always');
  assert.equal(defaultPullPolicy('nginx:latest'), 'Always');
  assert.equal(defaultPullPolicy('nginx:1.25'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('localhost:5000/app'), 'Always');
  assert.equal(defaultPullPolicy('localhost:5000/app:v2'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('busybox@sha256:' + 'a'.repeat(64)), 'IfNotPresent');
  assert.equal(defaultPullPolicy(''), 'IfNotPresent');
});

test('pods: requests default to limits, QoS follows, probes and volumes are filled', () => {
  const pod = defaulted('', 'v1', 'Pod', {
    spec: {
      containers: [
        {
          name: 'a',
          image: 'x:1',
          resources: { limits: { cpu: '500m', memory: '128Mi' } },
          livenessProbe: { httpGet: { port: 8080 } },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        },
      ],
      volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }, { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }],
    },
  });
  const spec = pod['spec'] as Record<string, unknown>;
  const c = (spec['containers'] as Record<string, unknown>[])[0] ?? {};
  assert.deepEqual(c['resources'], { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } });
  assert.deepEqual(c['livenessProbe'], { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c['env'], [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } } }]);
  assert.deepEqual(spec['volumes'], [
    { name: 'scratch', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
    { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 3600 } }], defaultMode: 420 } },
  ]);
  assert.equal((pod['status'] as Record<string, unknown>)['qosClass'], 'Guaranteed');
});

test('a deployment gets replicas, strategy, history and deadline, and its template the pod-spec defaults only', () => {
  const d = defaulted('apps', 'v1', 'Deployment', {
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
  });
  const spec = d['spec'] as Record<string, unknown>;
  assert.equal(spec['replicas'], 1);
  assert.deepEqual(spec['strategy'], { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec['revisionHistoryLimit'], 10);
  assert.equal(spec['progressDeadlineSeconds'], 600);
  const podSpec = (spec['template'] as Record<string, Record<string, unknown>>)['spec'] ?? {};
  assert.equal(podSpec['restartPolicy'], 'Always');
  assert.equal(podSpec['enableServiceLinks'], undefined, 'pod-only defaults stay off templates');
  assert.equal(podSpec['priority'], undefined);
  // Recreate carries no rollingUpdate block.
  const recreate = defaulted('apps', 'v1', 'Deployment', { spec: { strategy: { type: 'Recreate' } } });
  assert.deepEqual((recreate['spec'] as Record<string, unknown>)['strategy'], { type: 'Recreate' });
});

test('stateful sets, daemon sets and replica sets', () => {
  const sts = defaulted('apps', 'v1', 'StatefulSet', { spec: { template: { spec: { containers: [] } } } })['spec'] as Record<string, unknown>;
  assert.equal(sts['podManagementPolicy'], 'OrderedReady');
  assert.deepEqual(sts['updateStrategy'], { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(sts['persistentVolumeClaimRetentionPolicy'], { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(sts['replicas'], 1);
  assert.equal(sts['revisionHistoryLimit'], 10);
  const ds = defaulted('apps', 'v1', 'DaemonSet', { spec: {} })['spec'] as Record<string, unknown>;
  assert.deepEqual(ds['updateStrategy'], { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds['revisionHistoryLimit'], 10);
  assert.equal((defaulted('apps', 'v1', 'ReplicaSet', { spec: {} })['spec'] as Record<string, unknown>)['replicas'], 1);
});

test('jobs get completions, parallelism, backoff, mode, suspend and replacement policy', () => {
  const job = defaulted('batch', 'v1', 'Job', {
    metadata: { name: 'pi' },
    spec: { template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34' }] } } },
  });
  const spec = job['spec'] as Record<string, unknown>;
  assert.deepEqual(
    [spec['completions'], spec['parallelism'], spec['backoffLimit'], spec['completionMode'], spec['suspend'], spec['podReplacementPolicy']],
    [1, 1, 6, 'NonIndexed', false, 'TerminatingOrFailed'],
  );
  assert.deepEqual((job['metadata'] as Record<string, unknown>)['labels'], { app: 'pi' });
  const parallel = defaulted('batch', 'v1', 'Job', { spec: { parallelism: 4, backoffLimitPerIndex: 1, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } } })['spec'] as Record<string, unknown>;
  assert.equal(parallel['completions'], undefined);
  assert.equal(parallel['backoffLimit'], 2147483647);
  assert.equal(parallel['podReplacementPolicy'], 'Failed');
  assert.deepEqual(parallel['podFailurePolicy'], { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] });
});

test('cron jobs get policy and history limits; their job template only pod-spec defaults', () => {
  const cj = defaulted('batch', 'v1', 'CronJob', { spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } } });
  const spec = cj['spec'] as Record<string, unknown>;
  assert.deepEqual([spec['concurrencyPolicy'], spec['suspend'], spec['successfulJobsHistoryLimit'], spec['failedJobsHistoryLimit']], ['Allow', false, 3, 1]);
  const jobSpec = (spec['jobTemplate'] as Record<string, Record<string, unknown>>)['spec'] ?? {};
  assert.equal(jobSpec['backoffLimit'], undefined);
  assert.equal(((jobSpec['template'] as Record<string, Record<string, unknown>>)['spec'] ?? {})['dnsPolicy'], 'ClusterFirst');
});

test('services: ClusterIP, None affinity, TCP, targetPort, traffic policies and one IPv4 family', () => {
  const svc = defaulted('', 'v1', 'Service', { spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } });
  assert.deepEqual(svc['spec'], {
    selector: { app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
  });
  const lb = defaulted('', 'v1', 'Service', { spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 443 }] } })['spec'] as Record<string, unknown>;
  assert.equal(lb['externalTrafficPolicy'], 'Cluster');
  assert.equal(lb['allocateLoadBalancerNodePorts'], true);
  assert.deepEqual(lb['sessionAffinityConfig'], { clientIP: { timeoutSeconds: 10800 } });
  const ext = defaulted('', 'v1', 'Service', { spec: { type: 'ExternalName', externalName: 'db.example' } })['spec'] as Record<string, unknown>;
  assert.equal(ext['ipFamilies'], undefined);
  assert.equal(ext['internalTrafficPolicy'], undefined);
});

test('namespaces get their name label and Active; the kubernetes finalizer only on create', () => {
  const ns = defaulted('', 'v1', 'Namespace', { metadata: { name: 'dev', uid: 'u1' } });
  assert.deepEqual(ns, { metadata: { name: 'dev', uid: 'u1', labels: { 'kubernetes.io/metadata.name': 'dev' } }, status: { phase: 'Active' } });
  const validate = catalogue.byKind({ group: '', version: 'v1', kind: 'Namespace' })?.validate;
  assert.deepEqual(validate?.(ns), []);
  assert.deepEqual((ns as KubeObject)['spec'], { finalizers: ['kubernetes'] });
  const finalized: KubeObject = { metadata: { name: 'dev', uid: 'u1' }, spec: {}, status: { phase: 'Terminating' } };
  assert.deepEqual(validate?.(finalized, ns), []);
  assert.deepEqual(finalized['spec'], {});
  assert.deepEqual(defaulted('', 'v1', 'Namespace', finalized)['status'], { phase: 'Terminating' });
});

test('secrets, volumes, claims, storage classes, priority classes', () => {
  assert.equal(defaulted('', 'v1', 'Secret', { data: {} })['type'], 'Opaque');
  assert.equal(defaulted('', 'v1', 'Secret', { type: 'kubernetes.io/tls' })['type'], 'kubernetes.io/tls');
  const pv = defaulted('', 'v1', 'PersistentVolume', { spec: { hostPath: { path: '/d' } } });
  assert.deepEqual(pv, { spec: { hostPath: { path: '/d', type: '' }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  assert.deepEqual(defaulted('', 'v1', 'PersistentVolumeClaim', { spec: {} }), { spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  const sc = defaulted('storage.k8s.io', 'v1', 'StorageClass', { provisioner: 'rancher.io/local-path' });
  assert.deepEqual([sc['reclaimPolicy'], sc['volumeBindingMode']], ['Delete', 'Immediate']);
  assert.equal(defaulted('scheduling.k8s.io', 'v1', 'PriorityClass', { value: 5 })['preemptionPolicy'], 'PreemptLowerPriority');
});

test('network policies, bindings, endpoint slices, limit ranges and autoscalers', () => {
  const np = defaulted('networking.k8s.io', 'v1', 'NetworkPolicy', { spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } })['spec'] as Record<string, unknown>;
  assert.deepEqual(np['policyTypes'], ['Ingress', 'Egress']);
  assert.deepEqual(np['egress'], [{ ports: [{ port: 53, protocol: 'TCP' }] }]);
  const rb = defaulted('rbac.authorization.k8s.io', 'v1', 'RoleBinding', { roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 's', namespace: 'n' }] });
  assert.deepEqual(rb, { roleRef: { kind: 'Role', name: 'r', apiGroup: 'rbac.authorization.k8s.io' }, subjects: [{ kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }, { kind: 'ServiceAccount', name: 's', namespace: 'n', apiGroup: '' }] });
  assert.deepEqual(defaulted('discovery.k8s.io', 'v1', 'EndpointSlice', { ports: [{ port: 80 }] })['ports'], [{ port: 80, name: '', protocol: 'TCP' }]);
  const lr = defaulted('', 'v1', 'LimitRange', { spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { memory: '10Mi' } }] } });
  assert.deepEqual((lr['spec'] as Record<string, unknown>)['limits'], [{ type: 'Container', max: { cpu: '1' }, min: { memory: '10Mi' }, default: { cpu: '1' }, defaultRequest: { cpu: '1', memory: '10Mi' } }]);
  const hpa = defaulted('autoscaling', 'v2', 'HorizontalPodAutoscaler', { spec: { maxReplicas: 3 } })['spec'] as Record<string, unknown>;
  assert.equal(hpa['minReplicas'], 1);
  assert.deepEqual(hpa['metrics'], [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
});

test('defaulting twice changes nothing more', () => {
  for (const info of catalogue.all()) {
    if (!info.defaults) continue;
    const once: KubeObject = { metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'i' }], template: { spec: {} }, ports: [{ port: 1 }] } };
    info.defaults(once);
    const twice = structuredClone(once);
    info.defaults(twice);
    assert.deepEqual(twice, once, info.kind);
  }
});

test('pods keep their own not-ready/unreachable tolerations; serviceAccount mirrors serviceAccountName', () => {
  const pod = defaulted('', 'v1', 'Pod', {
    spec: { serviceAccount: 'builder', containers: [{ name: 'a', image: 'i' }], tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] },
  });
  const spec = pod['spec'] as Record<string, unknown>;
  assert.deepEqual(spec['tolerations'], [
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  assert.equal(spec['serviceAccountName'], 'builder');
  assert.equal(spec['serviceAccount'], 'builder');
  const everything = defaulted('', 'v1', 'Pod', { spec: { containers: [], tolerations: [{ operator: 'Exists' }] } });
  assert.deepEqual((everything['spec'] as Record<string, unknown>)['tolerations'], [{ operator: 'Exists' }]);
});
