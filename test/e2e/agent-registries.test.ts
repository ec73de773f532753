/**
 * registries.yaml end to end: `k3s server --private-registry FILE` in its own network namespace
 * with a real registry (Debian's docker-registry, basic auth) on the namespace's loopback as the
 * only mirror of mirror.example; kubectl runs a pod from mirror.example/library/x:1, which
 * exists nowhere else; containerd authenticates to the mirror with the file's credentials.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir, waitFor } from '../helpers/index.js';
import { pushOciLayout } from '../integration/agent/registry.js';
import { canRunNodeCluster, startNodeCluster } from './node-cluster.js';

const PORT = 5000; // the namespace's own loopback: no other test can hold it

test('registries.yaml: a pod pulls mirror.example/library/x:1 from an authenticated mirror', { skip: !canRunNodeCluster && 'needs root for containerd', timeout: 300_000 }, async (t) => {
  const dir = tempDir(t, 'k3s-e2e-reg-');
  const creds = { username: 'mirror-user', password: 'mirror-pw-e2e' };
  const registries = join(dir, 'registries.yaml');
  writeFileSync(registries, `mirrors:\n  mirror.example:\n    endpoint:\n      - "http://127.0.0.1:${PORT}"\nconfigs:\n  "127.0.0.1:${PORT}":\n    auth:\n      username: ${creds.username}\n      password: ${creds.password}\n`);
  const cluster = await startNodeCluster(t, ['--private-registry', registries], { label: 'reg' });

  // The registry inside the node's namespace, reachable from the host at the node IP for the push.
  const hash = execFileSync('python3', ['-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', creds.password], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  writeFileSync(join(dir, 'htpasswd'), `${creds.username}:${hash}\n`);
  writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 0.0.0.0:${PORT}\nauth:\n  htpasswd:\n    realm: test\n    path: ${join(dir, 'htpasswd')}\n`);
  const registry = cluster.netns.spawn('docker-registry', ['serve', join(dir, 'config.yml')]);
  const outside = `${cluster.netns.nodeIP}:${PORT}`;
  await waitFor('docker-registry', async () => {
    if (registry.child.exitCode !== null) throw new Error(`docker-registry exited: ${registry.output()}`);
    return (await fetch(`http://${outside}/v2/`).catch(() => undefined))?.status === 401;
  }, 20_000);
  await pushOciLayout(outside, 'library/x', '1', readFileSync(join(cluster.dataDir, 'agent', 'images', 'k3s-ts-busybox.tar')), creds);

  const applied = await cluster.kubectl(['run', 'mirrored', '--image=mirror.example/library/x:1', `--overrides={"spec":{"nodeName":"${cluster.node}"}}`, '--restart=Never', '--', 'sh', '-c', 'echo pulled-through-mirror; sleep 3600']);
  assert.equal(applied.code, 0, applied.stderr);
  const waited = await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/mirrored', '--timeout=120s'], { timeoutMs: 130_000 });
  if (waited.code !== 0) assert.fail(`pod not Ready: ${waited.stderr}\n${(await cluster.kubectl(['describe', 'pod', 'mirrored'])).stdout}`);
  const events = (await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=mirrored', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}'])).stdout;
  assert.match(events, /^Pulled: Successfully pulled image "mirror\.example\/library\/x:1" in /m);
  const image = (await cluster.kubectl(['get', 'pod', 'mirrored', '-o', 'jsonpath={.status.containerStatuses[0].image}'])).stdout;
  assert.equal(image, 'mirror.example/library/x:1');
});
