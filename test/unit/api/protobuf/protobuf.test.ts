import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtobufObject, encodeProtobufObject, formatDuration, parseDuration, ProtobufError } from '../../../../src/api/protobuf/index.js';

// A minimal encoder for building test messages by field number.
const varint = (value: bigint | number): number[] => {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
const bytesField = (no: number, payload: number[] | string): number[] => {
  const data = typeof payload === 'string' ? [...Buffer.from(payload)] : payload;
  return [...varint((no << 3) | 2), ...varint(data.length), ...data];
};
const varintField = (no: number, value: bigint | number): number[] => [...varint(no << 3), ...varint(value)];
const envelope = (apiVersion: string, kind: string, raw: number[]): Uint8Array =>
  Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...bytesField(1, [...bytesField(1, apiVersion), ...bytesField(2, kind)]), ...bytesField(2, raw)]);

test('a Deployment decodes with pointers, int-or-string, quantities, maps and zero values as JSON has them', () => {
  const container = [
    ...bytesField(1, 'web'),
    ...bytesField(2, 'nginx'),
    ...bytesField(8, bytesField(1, [...bytesField(1, 'cpu'), ...bytesField(2, bytesField(1, '250m'))])), // resources.limits
    ...varintField(16, 0), // stdin=false (non-pointer, omitempty): dropped
  ];
  const metadata = [...bytesField(1, 'web'), ...bytesField(3, ''), ...varintField(7, 0), ...bytesField(8, []), ...bytesField(11, [...bytesField(1, 'app'), ...bytesField(2, 'web')])];
  const rolling = [...bytesField(1, [...varintField(1, 1), ...bytesField(3, '25%')]), ...bytesField(2, [...varintField(1, 0), ...varintField(2, 1)])];
  const spec = [
    ...varintField(1, 0), // replicas: a pointer, so 0 is kept
    ...bytesField(3, [...bytesField(1, []), ...bytesField(2, bytesField(2, container))]),
    ...bytesField(4, [...bytesField(1, 'RollingUpdate'), ...bytesField(2, rolling)]),
    ...varintField(6, 10),
  ];
  const raw = [...bytesField(1, metadata), ...bytesField(2, spec), ...bytesField(3, [])];
  const object = decodeProtobufObject(envelope('apps/v1', 'Deployment', raw));
  assert.deepEqual(object, {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: null, // a nil *LabelSelector without omitempty, as encoding/json writes it
      template: { metadata: {}, spec: { containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '250m' } } }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      revisionHistoryLimit: 10,
    },
    status: {},
  });
});

test('Secret data bytes become base64; negative int64 and times decode exactly', () => {
  const secret = decodeProtobufObject(envelope('v1', 'Secret', [...bytesField(2, [...bytesField(1, 'k'), ...bytesField(2, [0, 255, 1])])]));
  assert.deepEqual(secret, { kind: 'Secret', apiVersion: 'v1', data: { k: 'AP8B' } });
  const time = [...varintField(1, 1_700_000_000), ...varintField(2, 5)];
  const options = decodeProtobufObject(envelope('v1', 'DeleteOptions', [...varintField(1, 0), ...bytesField(4, 'Foreground')]));
  assert.deepEqual(options, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Foreground' });
  const meta = decodeProtobufObject(envelope('v1', 'ConfigMap', bytesField(1, [...bytesField(9, time), ...varintField(10, -5)])));
  assert.deepEqual(meta.metadata, { deletionTimestamp: '2023-11-14T22:13:20Z', deletionGracePeriodSeconds: -5 });
});

test('lists Go always emits are null when nil, as encoding/json writes them', () => {
  const role = decodeProtobufObject(envelope('rbac.authorization.k8s.io/v1', 'Role', bytesField(1, bytesField(1, 'r'))));
  assert.deepEqual(role, { kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'r' }, rules: null });
  const binding = decodeProtobufObject(envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', bytesField(3, [...bytesField(1, 'rbac.authorization.k8s.io'), ...bytesField(2, 'Role'), ...bytesField(3, 'r')])));
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' });
  assert.equal('subjects' in binding, false, 'omitempty lists stay absent');
});

test('garbage is a ProtobufError with a clear message, never a crash', () => {
  assert.throws(() => decodeProtobufObject(Buffer.from('{"kind":"ConfigMap"}')), /does not start with the protobuf envelope prefix/);
  assert.throws(() => decodeProtobufObject(Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x50])), ProtobufError);
  assert.throws(() => decodeProtobufObject(envelope('v1', 'Widget', [])), /no protobuf decoding for kind Widget/);
  assert.throws(() => decodeProtobufObject(envelope('', '', [])), /no apiVersion and kind/);
  // A string where a message is expected, a varint where a string is expected.
  assert.throws(() => decodeProtobufObject(envelope('v1', 'ConfigMap', varintField(1, 3))), /field "metadata": expected a length-delimited field/);
  // A time far outside what Date can hold.
  const farTime = bytesField(1, bytesField(8, varintField(1, 2n ** 62n)));
  assert.throws(() => decodeProtobufObject(envelope('v1', 'ConfigMap', farTime)), /out of range/);
  // Mutations of a real message: every prefix and every single-byte change.
  const good = envelope('v1', 'ConfigMap', [...bytesField(1, [...bytesField(1, 'cfg'), ...bytesField(8, varintField(1, 1_700_000_000))]), ...bytesField(2, [...bytesField(1, 'k'), ...bytesField(2, 'v')])]);
  for (let cut = 4; cut < good.length; cut++) {
    try {
      decodeProtobufObject(good.subarray(0, cut));
    } catch (error) {
      assert.ok(error instanceof ProtobufError, String(error));
    }
    for (const byte of [0x00, 0x07, 0x0a, 0x80, 0xff]) {
      const mutated = Uint8Array.from(good);
      mutated[cut] = byte;
      try {
        decodeProtobufObject(mutated);
      } catch (error) {
        assert.ok(error instanceof ProtobufError, String(error));
      }
    }
  }
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  for (let i = 0; i < 2000; i++) {
    const body = Uint8Array.from({ length: 4 + (i % 64) }, (_, j) => (j < 4 ? [0x6b, 0x38, 0x73, 0x00][j]! : random()));
    try {
      decodeProtobufObject(body);
    } catch (error) {
      assert.ok(error instanceof ProtobufError, String(error));
    }
  }
});

test('durations print as Go does', () => {
  assert.equal(formatDuration(0n), '0s');
  assert.equal(formatDuration(1_500_000_000n), '1.5s');
  assert.equal(formatDuration(3_723_000_000_000n), '1h2m3s');
  assert.equal(formatDuration(150_000_000n), '150ms');
  assert.equal(formatDuration(-90_000_000_000n), '-1m30s');
});

test('objects encoded for protobuf responses decode back to the same JSON', () => {
  const objects: Record<string, unknown>[] = [
    {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: '12', generation: 3, creationTimestamp: '2025-03-04T05:06:07Z', labels: { app: 'x' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'r', controller: true }] },
      spec: {
        containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { limits: { cpu: '500m', memory: '1Gi' } }, livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 10 } }],
        terminationGracePeriodSeconds: 0,
        restartPolicy: 'Always',
        volumes: [{ name: 'v', configMap: { name: 'cm', defaultMode: 420 } }],
      },
      status: { phase: 'Running', startTime: '2025-03-04T05:06:08Z', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: null }] },
    },
    { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', creationTimestamp: null }, data: { k: 'AP8B' }, type: 'Opaque' },
    { kind: 'Service', apiVersion: 'v1', metadata: { name: 'svc' }, spec: { ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }, { port: 443, targetPort: 'https' }], type: 'NodePort' }, status: { loadBalancer: {} } },
    { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: 'l' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: '2025-03-04T05:06:07.123456Z' } },
    { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'nope', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 },
  ];
  for (const object of objects) {
    const bytes = encodeProtobufObject(object);
    assert.ok(bytes, `${String(object.kind)} has a schema`);
    assert.deepEqual(decodeProtobufObject(bytes), object);
  }
  assert.equal(encodeProtobufObject({ kind: 'Widget', apiVersion: 'example.com/v1' }), undefined);
  assert.throws(() => encodeProtobufObject({ kind: 'ConfigMap', apiVersion: 'v1', data: 'nope' }), /data: expected a map/);
});

test('durations parse as Go does', () => {
  assert.equal(parseDuration('1h2m3.5s'), 3_723_500_000_000n);
  assert.equal(parseDuration('150ms'), 150_000_000n);
  assert.equal(parseDuration('0'), 0n);
  assert.throws(() => parseDuration('soon'), /not a duration/);
});
