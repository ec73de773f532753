import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogue, type FieldError, type KubeObject } from '../../../../src/api/index.js';
import { cronError, errorText, invalidMessage, validateObjectMeta } from '../../../../src/api/validation/index.js';

const catalogue = new Catalogue();
const info = (group: string, version: string, kind: string) => {
  const found = catalogue.byKind({ group, version, kind });
  assert.ok(found, kind);
  return found;
};

/** Defaults then validates, as the API server does, and renders each error as upstream prints it. */
function check(group: string, kind: string, object: KubeObject, old?: KubeObject, version = 'v1'): string[] {
  const resource = info(group, version, kind);
  const copy = structuredClone(object);
  resource.defaults?.(copy);
  const errors: FieldError[] = [...validateObjectMeta(resource, copy, old), ...(resource.validate?.(copy, old) ?? [])];
  return errors.map(errorText);
}

const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const pod = (spec: Record<string, unknown>, name = 'web'): KubeObject => ({ metadata: { name, namespace: 'default' }, spec });
const container = { name: 'web', image: 'nginx' };

test('names follow the kind rule: subdomain, label for namespaces, DNS-1035 for services', () => {
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'Foo', namespace: 'default' } }), [`metadata.name: Invalid value: "Foo": ${SUBDOMAIN}`]);
  assert.deepEqual(check('', 'Namespace', { metadata: { name: 'a.b' } }), [`metadata.name: Invalid value: "a.b": ${LABEL}`]);
  assert.deepEqual(check('', 'Service', { metadata: { name: '1svc', namespace: 'default' }, spec: { ports: [{ port: 80 }] } }), [
    `metadata.name: Invalid value: "1svc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  ]);
  assert.deepEqual(check('rbac.authorization.k8s.io', 'ClusterRole', { metadata: { name: 'system:Admin' } }), []);
  assert.deepEqual(check('rbac.authorization.k8s.io', 'ClusterRole', { metadata: { name: 'a/b' } }), [`metadata.name: Invalid value: "a/b": may not contain '/'`]);
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'x'.repeat(254), namespace: 'default' } }), [
    `metadata.name: Invalid value: "${'x'.repeat(254)}": must be no more than 253 characters`,
  ]);
});

test('name or generateName is required; namespaces are required or forbidden by scope', () => {
  assert.deepEqual(check('', 'ConfigMap', { metadata: { namespace: 'default' } }), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'a' } }), ['metadata.namespace: Required value']);
  assert.deepEqual(check('', 'Namespace', { metadata: { name: 'a', namespace: 'b' } }), ['metadata.namespace: Forbidden: not allowed on this type']);
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'a', generateName: 'web-', namespace: 'default' } }), []);
});

test('labels, annotations and finalizers are checked like upstream', () => {
  const errs = check('', 'ConfigMap', {
    metadata: { name: 'a', namespace: 'default', labels: { 'bad key!': 'v', ok: 'bad value!' }, annotations: { 'example.com/ok': 'x' }, finalizers: ['custom'] },
  });
  assert.deepEqual(errs, [
    `metadata.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    `metadata.labels[ok]: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    'metadata.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  const big = check('', 'ConfigMap', { metadata: { name: 'a', namespace: 'default', annotations: { a: 'x'.repeat(256 * 1024) } } });
  assert.deepEqual(big, ['metadata.annotations: Too long: must have at most 262144 bytes']);
});

test('name, namespace and uid are immutable on update; no new finalizers while deleting', () => {
  const old: KubeObject = { metadata: { name: 'a', namespace: 'default', uid: 'u1', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['example.com/x'] } };
  const errs = check('', 'ConfigMap', { metadata: { name: 'b', namespace: 'default', uid: 'u2', finalizers: ['example.com/x', 'example.com/y'] } }, old);
  assert.deepEqual(errs, [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/y"}',
    'metadata.name: Invalid value: "b": field is immutable',
    'metadata.uid: Invalid value: "u2": field is immutable',
  ]);
});

test('pods need containers with DNS-label, unique names and images', () => {
  assert.deepEqual(check('', 'Pod', pod({ containers: [] })), ['spec.containers: Required value']);
  assert.deepEqual(check('', 'Pod', pod({ containers: [{ name: 'Web', image: 'nginx' }, { name: 'Web', image: '' }] })), [
    `spec.containers[0].name: Invalid value: "Web": ${LABEL}`,
    `spec.containers[1].name: Invalid value: "Web": ${LABEL}`,
    'spec.containers[1].name: Duplicate value: "Web"',
    'spec.containers[1].image: Required value',
  ]);
  assert.deepEqual(check('', 'Pod', pod({ containers: [{ image: 'nginx' }] })), ['spec.containers[0].name: Required value']);
});

test('pods: ports, protocols, restart and pull policies, mounts', () => {
  const errs = check(
    '',
    'Pod',
    pod({
      restartPolicy: 'Sometimes',
      containers: [
        {
          ...container,
          imagePullPolicy: 'Maybe',
          ports: [{ containerPort: 70000, protocol: 'XTP', name: 'http' }, { containerPort: 81, name: 'http' }, { name: 'Bad--Name' }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
    }),
  );
  assert.deepEqual(errs, [
    'spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"',
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[0].ports[0].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP"',
    'spec.containers[0].ports[1].name: Duplicate value: "http"',
    'spec.containers[0].ports[2].name: Invalid value: "Bad--Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'spec.containers[0].ports[2].name: Invalid value: "Bad--Name": must not contain consecutive hyphens',
    'spec.containers[0].ports[2].containerPort: Required value',
    'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
});

test('pod updates may change images but not other spec fields', () => {
  const stored = structuredClone(pod({ containers: [container] }));
  info('', 'v1', 'Pod').defaults?.(stored);
  const imageOnly = structuredClone(stored);
  ((imageOnly['spec'] as Record<string, unknown[]>)['containers']?.[0] as Record<string, unknown>)['image'] = 'nginx:1.27';
  assert.deepEqual(check('', 'Pod', imageOnly, stored), []);
  const moved = structuredClone(stored);
  (moved['spec'] as Record<string, unknown>)['restartPolicy'] = 'Never';
  const errs = check('', 'Pod', moved, stored);
  assert.equal(errs.length, 1);
  assert.match(
    errs[0] ?? '',
    /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
  );
});

const deployment = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec });
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } };

test('deployments: selector required, non-empty, matching the template; replicas and strategy', () => {
  assert.deepEqual(check('apps', 'Deployment', deployment({ template })), ['spec.selector: Required value']);
  assert.deepEqual(check('apps', 'Deployment', deployment({ selector: {}, template })), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ]);
  assert.deepEqual(check('apps', 'Deployment', deployment({ selector: { matchLabels: { app: 'api' } }, template, replicas: -1 })), [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  ]);
  const zero = check('apps', 'Deployment', deployment({ selector: { matchLabels: { app: 'web' } }, template, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }));
  assert.deepEqual(zero, ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0']);
  const neverRestart = check('apps', 'Deployment', deployment({ selector: { matchLabels: { app: 'web' } }, template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } }));
  assert.deepEqual(neverRestart, ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
});

test('apps/v1 selectors are immutable', () => {
  const old = deployment({ selector: { matchLabels: { app: 'web' } }, template });
  info('apps', 'v1', 'Deployment').defaults?.(old);
  const changed = deployment({ selector: { matchLabels: { app: 'web', tier: 'fe' } }, template: { ...template, metadata: { labels: { app: 'web', tier: 'fe' } } } });
  assert.deepEqual(check('apps', 'Deployment', changed, old), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

test('jobs need OnFailure or Never and get a generated selector once they have a uid', () => {
  const job: KubeObject = { metadata: { name: 'pi', namespace: 'default', uid: 'u-1' }, spec: { template: { spec: { containers: [container] } } } };
  assert.deepEqual(check('batch', 'Job', job), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  const ok = structuredClone(job);
  ((ok['spec'] as Record<string, Record<string, Record<string, unknown>>>)['template'] ?? {})['spec'] = { containers: [container], restartPolicy: 'Never' };
  info('batch', 'v1', 'Job').defaults?.(ok);
  assert.deepEqual(info('batch', 'v1', 'Job').validate?.(ok) ?? [], []);
  const spec = ok['spec'] as Record<string, Record<string, unknown>>;
  assert.deepEqual(spec['selector'], { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.deepEqual((spec['template']?.['metadata'] as Record<string, unknown>)['labels'], {
    'job-name': 'pi',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'u-1',
    'batch.kubernetes.io/controller-uid': 'u-1',
  });
});

test('cron jobs: schedule syntax, TZ, policy and the 52-character name limit', () => {
  const cj = (schedule: string, name = 'tick'): KubeObject => ({
    metadata: { name, namespace: 'default' },
    spec: { schedule, jobTemplate: { spec: { template: { spec: { containers: [container], restartPolicy: 'OnFailure' } } } } },
  });
  assert.deepEqual(check('batch', 'CronJob', cj('*/5 * * * *')), []);
  assert.deepEqual(check('batch', 'CronJob', cj('@hourly')), []);
  assert.deepEqual(check('batch', 'CronJob', cj('bad')), ['spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: [bad]']);
  assert.deepEqual(check('batch', 'CronJob', cj('61 * * * *')), ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']);
  assert.deepEqual(check('batch', 'CronJob', cj('TZ=UTC 0 * * * *')), ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  assert.deepEqual(check('batch', 'CronJob', cj('* * * * *', 'c'.repeat(53))), [`metadata.name: Invalid value: "${'c'.repeat(53)}": must be no more than 52 characters`]);
  assert.equal(cronError('0 0 * JAN-mar mon-fri'), undefined);
  assert.equal(cronError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
});

test('services: ports required and named, protocols, ExternalName, immutable cluster IP', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec });
  assert.deepEqual(check('', 'Service', svc({ selector: { app: 'web' } })), ['spec.ports: Required value']);
  assert.deepEqual(check('', 'Service', svc({ clusterIP: 'None' })), []);
  assert.deepEqual(check('', 'Service', svc({ type: 'ExternalName', externalName: 'db.example.com' })), []);
  assert.deepEqual(check('', 'Service', svc({ ports: [{ port: 80 }, { port: 0, protocol: 'ICMP', name: 'b' }] })), [
    'spec.ports[0].name: Required value',
    'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    'spec.ports[1].targetPort: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(check('', 'Service', svc({ type: 'Magic', ports: [{ port: 80, nodePort: 30000 }] })), [
    'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ]);
  assert.deepEqual(check('', 'Service', svc({ ports: [{ port: 80, nodePort: 30080 }] })), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  const old = svc({ ports: [{ port: 80 }], clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'] });
  assert.deepEqual(check('', 'Service', svc({ ports: [{ port: 80 }], clusterIP: '10.43.0.11', clusterIPs: ['10.43.0.11'] }), old), [
    'spec.clusterIPs[0]: Invalid value: []string{"10.43.0.11"}: may not change once set',
  ]);
});

test('config maps and secrets: key syntax and the immutable flag', () => {
  const cm = (extra: Record<string, unknown>): KubeObject => ({ metadata: { name: 'c', namespace: 'default' }, ...extra });
  assert.deepEqual(check('', 'ConfigMap', cm({ data: { 'bad key': 'v', '..x': 'v' } })), [
    `data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    `data[..x]: Invalid value: "..x": must not start with '..'`,
  ]);
  const frozen = cm({ data: { a: '1' }, immutable: true });
  assert.deepEqual(check('', 'ConfigMap', cm({ data: { a: '2' }, immutable: true }), frozen), ['data: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(check('', 'ConfigMap', cm({ data: { a: '1' } }), frozen), ['immutable: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(check('', 'Secret', cm({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } })), ['data[tls.key]: Required value']);
  assert.deepEqual(check('', 'Secret', cm({ type: 'Opaque' }), cm({ type: 'kubernetes.io/tls' })), ['type: Invalid value: "Opaque": field is immutable']);
});

test('rbac: verbs, api groups and resources; role refs and subjects', () => {
  const role = { metadata: { name: 'r', namespace: 'default' }, rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }] };
  assert.deepEqual(check('rbac.authorization.k8s.io', 'Role', role), [
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
  ]);
  const crb = { metadata: { name: 'b' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'x' }] };
  assert.deepEqual(check('rbac.authorization.k8s.io', 'ClusterRoleBinding', crb), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'subjects[0].namespace: Required value',
    'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
  ]);
});

test('priority classes, storage classes, claims and ingresses', () => {
  assert.deepEqual(check('scheduling.k8s.io', 'PriorityClass', { metadata: { name: 'system-mine' }, value: 2_000_000_000 }), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved",
    'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
  ]);
  assert.deepEqual(check('storage.k8s.io', 'StorageClass', { metadata: { name: 's' }, reclaimPolicy: 'Keep' }), [
    'provisioner: Required value',
    'reclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain"',
  ]);
  assert.deepEqual(check('', 'PersistentVolumeClaim', { metadata: { name: 'c', namespace: 'default' }, spec: {} }), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Required value',
  ]);
  const ing = { metadata: { name: 'i', namespace: 'default' }, spec: { rules: [{ host: 'a.example', http: { paths: [{ path: 'x', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } }, { path: '/', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } };
  assert.deepEqual(check('networking.k8s.io', 'Ingress', ing), [
    'spec.rules[0].http.paths[0].path: Invalid value: "x": must be an absolute path',
    'spec.rules[0].http.paths[0].backend.service.port: Invalid value: networking.ServiceBackendPort{Name:"", Number:0}: port name or number is required',
    'spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified',
  ]);
});

test('the 422 message aggregates errors as upstream does', () => {
  const errs = check('', 'Pod', pod({ containers: [{ name: 'a' }, { name: 'b' }] }));
  assert.equal(invalidMessage('Pod', 'web', errs.map((e) => ({ field: e.split(':')[0] ?? '', reason: 'FieldValueRequired', message: 'Required value' }))), 'Pod "web" is invalid: [spec.containers[0].image: Required value, spec.containers[1].image: Required value]');
  assert.equal(invalidMessage('Deployment.apps', 'x', [{ field: 'spec.selector', reason: 'FieldValueRequired', message: 'Required value' }]), 'Deployment.apps "x" is invalid: spec.selector: Required value');
});

test('valid everyday objects pass', () => {
  assert.deepEqual(check('', 'Pod', pod({ containers: [{ ...container, ports: [{ containerPort: 80, name: 'http' }], env: [{ name: 'A_B', value: '1' }] }] })), []);
  assert.deepEqual(check('apps', 'Deployment', deployment({ selector: { matchLabels: { app: 'web' } }, template })), []);
  assert.deepEqual(check('apps', 'StatefulSet', deployment({ selector: { matchLabels: { app: 'web' } }, template, serviceName: 'web' })), []);
  assert.deepEqual(check('apps', 'DaemonSet', deployment({ selector: { matchLabels: { app: 'web' } }, template })), []);
  assert.deepEqual(check('', 'Namespace', { metadata: { name: 'kube-system' } }), []);
  assert.deepEqual(check('', 'Service', { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { ports: [{ name: 'https', port: 443, targetPort: 6443 }] } }), []);
  assert.deepEqual(check('rbac.authorization.k8s.io', 'ClusterRoleBinding', { metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }] }), []);
  assert.deepEqual(check('', 'Secret', { metadata: { name: 's', namespace: 'default' }, data: { password: 'cw==' } }), []);
  assert.deepEqual(check('autoscaling', 'HorizontalPodAutoscaler', { metadata: { name: 'h', namespace: 'default' }, spec: { maxReplicas: 3, scaleTargetRef: { kind: 'Deployment', name: 'web' } } }, undefined, 'v2'), []);
});

test('requests may not exceed limits', () => {
  const errs = check('', 'Pod', pod({ containers: [{ ...container, resources: { requests: { cpu: '2', memory: '64Mi' }, limits: { cpu: '1500m', memory: '1Gi' } } }] }));
  assert.deepEqual(errs, ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1500m']);
});

test('creationTimestamp may not change on update; endpoints need IP addresses', () => {
  const old: KubeObject = { metadata: { name: 'a', namespace: 'default', creationTimestamp: '2024-05-01T10:00:00Z' } };
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'a', namespace: 'default', creationTimestamp: '2024-05-02T10:00:00Z' } }, old), [
    'metadata.creationTimestamp: Invalid value: 2024-05-02 10:00:00 +0000 UTC: field is immutable',
  ]);
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'a', namespace: 'default' } }, old), []);
  assert.deepEqual(check('', 'Endpoints', { metadata: { name: 'e', namespace: 'default' }, subsets: [{ addresses: [{ ip: 'node1' }], ports: [{ port: 80 }] }] }), [
    'subsets[0].addresses[0].ip: Invalid value: "node1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
});

test('quotas, limit ranges and webhook configurations', () => {
  assert.deepEqual(check('', 'ResourceQuota', { metadata: { name: 'q', namespace: 'default' }, spec: { hard: { cpu: '-1', pods: '10' }, scopes: ['Sometimes'] } }), [
    'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    'spec.scopes[0]: Unsupported value: "Sometimes": supported values: "BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating"',
  ]);
  assert.deepEqual(check('', 'LimitRange', { metadata: { name: 'l', namespace: 'default' }, spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] } }), [
    'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
    // Defaulting copied max into default and default into defaultRequest, both below min.
    'spec.limits[0].default[cpu]: Invalid value: "1": min value 2 is greater than default value 1',
    'spec.limits[0].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1',
  ]);
  const hook = { name: 'pods.example.com', sideEffects: 'None', admissionReviewVersions: ['v1'], clientConfig: { service: { name: 'w', namespace: 'default' } } };
  assert.deepEqual(check('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration', { metadata: { name: 'v' }, webhooks: [hook] }), []);
  assert.deepEqual(check('admissionregistration.k8s.io', 'MutatingWebhookConfiguration', { metadata: { name: 'm' }, webhooks: [{ name: 'short', clientConfig: {} }, hook, hook] }), [
    'webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots',
    'webhooks[0].sideEffects: Unsupported value: "": supported values: "None", "NoneOnDryRun"',
    'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
    'webhooks[0].clientConfig: Required value: exactly one of url or service is required',
    'webhooks[2].name: Duplicate value: "pods.example.com"',
  ]);
});

test('CRDs: name from plural and group, one storage version, printer columns', () => {
  const crd = (versions: unknown[], name = 'widgets.example.com'): KubeObject => ({
    metadata: { name },
    spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions },
  });
  assert.deepEqual(check('apiextensions.k8s.io', 'CustomResourceDefinition', crd([{ name: 'v1', served: true, storage: true }])), []);
  assert.deepEqual(
    check('apiextensions.k8s.io', 'CustomResourceDefinition', crd([{ name: 'v1', storage: true, additionalPrinterColumns: [{ name: 'X', type: 'text', jsonPath: 'spec.x' }] }], 'widgets')),
    [
      'metadata.name: Invalid value: "widgets": must be spec.names.plural+"."+spec.group',
      'spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "text": supported values: "integer", "number", "string", "boolean", "date"',
      'spec.versions[0].additionalPrinterColumns[0].jsonPath: Invalid value: "spec.x": must be a simple json path starting with .',
    ],
  );
});
