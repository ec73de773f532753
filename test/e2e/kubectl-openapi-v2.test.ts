/** /openapi/v2 as protobuf, which kubectl reads when OpenAPI v3 cannot answer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCluster } from './kubectl-cluster.js';

test('kubectl falls back to the protobuf /openapi/v2: explain in openapiv2 form, and a wrong apiVersion is named as upstream names it', { timeout: 120_000 }, async (t) => {
  const c = await startCluster(t);
  const explain = await c.kubectl(['explain', 'pods.spec.containers', '--output=plaintext-openapiv2']);
  assert.equal(explain.code, 0, explain.stderr);
  assert.match(explain.stdout, /^KIND:\s+Pod$/m);
  assert.match(explain.stdout, /^RESOURCE:\s+containers/m);
  const wrong = await c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Deployment\nmetadata:\n  name: x\n' });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /no matches for kind "Deployment" in version "v1"/);
  assert.doesNotMatch(wrong.stderr, /failed to download openapi/);
});
