import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fieldProblemMessages,
  findFieldProblems,
  parseJsonWithDuplicates,
  parseYamlWithDuplicates,
  strictDecodingError,
} from '../../../../src/api/strict/index.js';

const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };

test('unknown fields are reported with their full path, list indexes included', () => {
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, colour: 'blue' },
    spec: {
      replicas: 1,
      foo: true,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y', imagePullPolicyy: 'Always' }] } },
    },
  };
  const problems = findFieldProblems(DEPLOYMENT, object);
  assert.deepEqual(problems.unknown, ['metadata.colour', 'spec.foo', 'spec.template.spec.containers[1].imagePullPolicyy']);
  assert.equal(
    strictDecodingError(problems),
    'strict decoding error: unknown field "metadata.colour", unknown field "spec.foo", unknown field "spec.template.spec.containers[1].imagePullPolicyy"',
  );
});

test('a valid object has no problems; free-form maps and embedded objects are not checked', () => {
  assert.deepEqual(findFieldProblems({ group: '', version: 'v1', kind: 'ConfigMap' }, { metadata: { name: 'x', annotations: { anything: 'goes' } }, data: { any: 'key' } }), {
    unknown: [],
    duplicate: [],
  });
  const revision = { metadata: { name: 'r' }, revision: 1, data: { whatever: { nested: true } } };
  assert.deepEqual(findFieldProblems({ group: 'apps', version: 'v1', kind: 'ControllerRevision' }, revision).unknown, []);
  // Custom resources have no declared schema here: nothing to report.
  assert.deepEqual(findFieldProblems({ group: 'example.com', version: 'v1', kind: 'Widget' }, { spec: { x: 1 } }).unknown, []);
});

test('inline (embedded) structs accept their fields: a configMap volume, a CRD schema', () => {
  const pod = { spec: { containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'v', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }] } }] } };
  assert.deepEqual(findFieldProblems({ group: '', version: 'v1', kind: 'Pod' }, pod).unknown, []);
  const crd = {
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', kind: 'Widget' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } }],
    },
  };
  assert.deepEqual(findFieldProblems({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }, crd).unknown, []);
});

test('duplicate JSON keys are found by path while the value matches JSON.parse', () => {
  const text = '{"metadata":{"name":"a","name":"b","labels":{"x":"1","x":"2"}},"items":[{"k":1,"k":2}],"s":"\\u00e9\\n","n":-1.5e3}';
  const parsed = parseJsonWithDuplicates(text);
  assert.deepEqual(parsed.value, JSON.parse(text));
  assert.deepEqual(parsed.duplicates, ['metadata.name', 'metadata.labels.x', 'items[0].k']);
  const problems = findFieldProblems({ group: '', version: 'v1', kind: 'ConfigMap' }, parsed.value, { duplicates: parsed.duplicates });
  assert.deepEqual(fieldProblemMessages(problems).slice(0, 2), ['unknown field "items"', 'unknown field "s"']);
  assert.ok(fieldProblemMessages(problems).includes('duplicate field "metadata.name"'));
});

test('the JSON parser rejects what JSON.parse rejects, with an offset', () => {
  for (const bad of ['{', '{"a":}', '[1,]', '{"a":1}x', "{'a':1}", '{"a":01}', '"\\x"', '']) {
    assert.throws(() => JSON.parse(bad));
    assert.throws(() => parseJsonWithDuplicates(bad), /invalid JSON at offset \d+/, bad);
  }
  assert.deepEqual(parseJsonWithDuplicates(' {"__proto__": {"polluted": true}} ').value, JSON.parse('{"__proto__": {"polluted": true}}'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('the JSON parser agrees with JSON.parse on many random documents', () => {
  let seed = 42;
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const strings = ['', 'a', 'ü', '\u2028', 'quote"in', 'back\\slash', '\n\t', '😀', 'x'.repeat(50)];
  const value = (depth: number): unknown => {
    switch (rand(depth > 3 ? 5 : 7)) {
      case 0: return null;
      case 1: return rand(2) === 1;
      case 2: return (rand(2000000) - 1000000) / (rand(3) === 0 ? 7 : 1);
      case 3: return strings[rand(strings.length)];
      case 4: return rand(1e9) * 1e12;
      case 5: return Array.from({ length: rand(4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: rand(4) }, () => [strings[rand(strings.length)]!, value(depth + 1)]));
    }
  };
  for (let i = 0; i < 500; i++) {
    const text = JSON.stringify(value(0), null, rand(2) ? 2 : undefined);
    assert.deepEqual(parseJsonWithDuplicates(text).value, JSON.parse(text), text);
  }
});

test('duplicate YAML keys are found by path', () => {
  const parsed = parseYamlWithDuplicates('metadata:\n  name: a\n  name: b\nspec:\n  ports:\n  - port: 1\n    port: 2\n');
  assert.deepEqual(parsed.duplicates, ['metadata.name', 'spec.ports[0].port']);
  assert.deepEqual(parsed.value, { metadata: { name: 'b' }, spec: { ports: [{ port: 2 }] } });
  assert.throws(() => parseYamlWithDuplicates('a: [1,\n'), /invalid YAML/);
});

test('a controller-gen style CRD manifest passes strict validation; a typo in it does not', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'charts.example.com', annotations: { 'controller-gen.kubebuilder.io/version': 'v0.16.0' } },
    spec: {
      group: 'example.com',
      names: { kind: 'Chart', listKind: 'ChartList', plural: 'charts', singular: 'chart', shortNames: ['ch'], categories: ['all'] },
      scope: 'Namespaced',
      conversion: { strategy: 'None' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          additionalPrinterColumns: [{ name: 'Version', type: 'string', jsonPath: '.spec.version', priority: 0 }],
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
          selectableFields: [{ jsonPath: '.spec.version' }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    version: { type: 'string', pattern: '^v', default: 'v1', example: 'v2' },
                    replicas: { type: 'integer', format: 'int32', minimum: 0, nullable: true },
                    port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                    values: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    labels: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'granular' },
                    hosts: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set', maxItems: 10 },
                    rules: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' } } } },
                  },
                  'x-kubernetes-validations': [{ rule: 'self.replicas >= 0', message: 'no negative replicas', reason: 'FieldValueInvalid', fieldPath: '.replicas' }],
                },
                status: { type: 'object', properties: { replicas: { type: 'integer' } } },
              },
            },
          },
        },
      ],
    },
    status: { acceptedNames: { kind: '', plural: '' }, conditions: [], storedVersions: ['v1'] },
  };
  const gvk = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' };
  assert.deepEqual(findFieldProblems(gvk, crd).unknown, []);
  const typo = structuredClone(crd) as { spec: { versions: Record<string, unknown>[] } };
  typo.spec.versions[0]!.servd = true;
  assert.deepEqual(findFieldProblems(gvk, typo).unknown, ['spec.versions[0].servd']);
});
