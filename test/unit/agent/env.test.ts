import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerEnv, ContainerConfigError, expand, type DataLookup } from '../../../src/agent/pods/env.js';
import type { Pod } from '../../../src/agent/pods/pod-types.js';

const lookup: DataLookup = async (kind, _ns, name) => {
  if (kind === 'configmap' && name === 'app') return { mode: 'fast', level: 'debug' };
  if (kind === 'secret' && name === 'creds') return { password: 's3cret' };
  return undefined;
};
const pod: Pod = { metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [] } };
const ctx = { pod, hostIP: '192.0.2.1', podIP: '10.42.0.7', lookup, machine: { cpus: 2, memoryBytes: 1 << 30 } };

test('env: envFrom first, then env with fieldRef, configMapKeyRef, secretKeyRef and $(VAR) expansion', async () => {
  const env = await containerEnv(
    {
      name: 'c',
      image: 'x',
      envFrom: [{ configMapRef: { name: 'app' }, prefix: 'CFG_' }],
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'URL', value: 'http://$(POD).$(NS):80/$(MISSING)/$$x' },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
      ],
    },
    ctx,
  );
  const map = Object.fromEntries(env.map((e) => [e.key, e.value]));
  assert.deepEqual(map, { CFG_mode: 'fast', CFG_level: 'debug', POD: 'web-1', NS: 'shop', IP: '10.42.0.7', APP: 'web', PASS: 's3cret', URL: 'http://web-1.shop:80/$(MISSING)/$x', MEM: String(1 << 30) });
});

test('env: a missing ConfigMap key is a CreateContainerConfigError unless optional', async () => {
  await assert.rejects(containerEnv({ name: 'c', image: 'x', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'nope' } } }] }, ctx), (err: unknown) => err instanceof ContainerConfigError && /couldn't find key nope in ConfigMap shop\/app/.test(err.message));
  await assert.rejects(containerEnv({ name: 'c', image: 'x', envFrom: [{ secretRef: { name: 'absent' } }] }, ctx), /secret "absent" not found/);
  assert.deepEqual(await containerEnv({ name: 'c', image: 'x', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k', optional: true } } }] }, ctx), []);
});

test('$(VAR) expansion leaves unknown references and unescapes $$', () => {
  assert.equal(expand('$(A)-$(B)-$$(A)', new Map([['A', '1']])), '1-$(B)-$(A)');
});
