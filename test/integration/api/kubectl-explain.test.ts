import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Catalogue } from '../../../src/api/index.js';
import { freePort, kubectl, tempDir } from '../../helpers/index.js';
import { startProbeServer } from './probe-server.js';

test('kubectl explain --recursive works for every served resource from the v3 documents', async (t) => {
  const dir = tempDir(t);
  const probe = await startProbeServer(dir, await freePort());
  t.after(() => probe.close());
  const env = { kubeconfig: probe.kubeconfig, cacheDir: tempDir(t) };
  const failures: string[] = [];
  for (const info of new Catalogue().all()) {
    // kubectl reads "events.events.k8s.io" as the core events' field path; name the version instead.
    const args = info.group ? ['explain', info.resource, `--api-version=${info.group}/${info.version}`, '--recursive'] : ['explain', info.resource, '--recursive'];
    const result = await kubectl(env, args);
    if (result.code !== 0 || !result.stdout.includes(`KIND:       ${info.kind}`) || !result.stdout.includes('FIELDS:')) {
      failures.push(`${info.resource}.${info.group}: ${result.stderr.slice(0, 200)}`);
    }
  }
  assert.deepEqual(failures, []);
});
