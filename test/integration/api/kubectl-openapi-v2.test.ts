import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, kubectl, tempDir } from '../../helpers/index.js';
import { startProbeServer } from './probe-server.js';

test('kubectl reads /openapi/v2 as protobuf: explain --output=plaintext-openapiv2, and the v2 fieldValidation check', async (t) => {
  const dir = tempDir(t);
  const probe = await startProbeServer(dir, await freePort(), { withoutV3: true });
  t.after(() => probe.close());
  const env = { kubeconfig: probe.kubeconfig, cacheDir: tempDir(t) };

  const explained = await kubectl(env, ['explain', 'deployment.spec.template.spec.containers', '--output=plaintext-openapiv2']);
  assert.equal(explained.code, 0, explained.stderr);
  assert.match(explained.stdout, /RESOURCE: containers <\[\]Object>/);
  assert.match(explained.stdout, /image\s+<string>/);
  assert.match(explained.stdout, /name\s+<string> -required-/);

  // Without a v3 document kubectl looks for fieldValidation on the kind's v2 patch operation;
  // finding it, it still leaves validation to the server.
  const manifest = join(dir, 'cm.yaml');
  writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n');
  const before = probe.requests.length;
  await kubectl(env, ['create', '-f', manifest]);
  const sent = probe.requests[before];
  assert.ok(sent, 'kubectl sent the object');
  assert.match(sent.url, /fieldValidation=Strict/);
});
