import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { tempDir } from '../../helpers/index.js';
import { apiServerUrl, ensurePki, writeKubeconfig } from '../../../src/auth/index.js';
import { authConfig } from './fixture.js';

test('the kubeconfig names cluster, context and user "default" and embeds the CA and admin credentials', async (t) => {
  const dir = tempDir(t);
  const config = authConfig(dir, { port: 7443, kubeconfig: join(dir, 'out/k3s.yaml'), mode: 0o644 });
  const pki = await ensurePki(config, { hostAddresses: false });
  const path = await writeKubeconfig(config, pki);
  assert.equal(path, join(dir, 'out/k3s.yaml'));
  assert.equal((await stat(path)).mode & 0o777, 0o644);
  const doc = parse(await readFile(path, 'utf8'));
  assert.equal(doc.apiVersion, 'v1');
  assert.equal(doc.kind, 'Config');
  assert.equal(doc['current-context'], 'default');
  assert.deepEqual(doc.contexts, [{ context: { cluster: 'default', user: 'default' }, name: 'default' }]);
  assert.equal(doc.clusters[0].name, 'default');
  assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:7443');
  assert.equal(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), pki.serverCaPem);
  assert.equal(doc.users[0].name, 'default');
  assert.equal(Buffer.from(doc.users[0].user['client-certificate-data'], 'base64').toString(), pki.admin.certPem);
  assert.equal(Buffer.from(doc.users[0].user['client-key-data'], 'base64').toString(), pki.admin.keyPem);
});

test('--write-kubeconfig-mode is applied even over an existing file with another mode', async (t) => {
  const dir = tempDir(t);
  const pki = await ensurePki(authConfig(dir), { hostAddresses: false });
  const path = join(dir, 'k.yaml');
  await writeKubeconfig(authConfig(dir, { kubeconfig: path, mode: 0o644 }), pki);
  await writeKubeconfig(authConfig(dir, { kubeconfig: path, mode: 0o600 }), pki);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
});

test('an unwritable kubeconfig path fails with the path and the fix', async (t) => {
  const dir = tempDir(t);
  const pki = await ensurePki(authConfig(dir), { hostAddresses: false });
  // A path below a regular file can never be created.
  await writeFile(join(dir, 'plain'), '');
  const path = join(dir, 'plain/k3s.yaml');
  await assert.rejects(writeKubeconfig(authConfig(dir, { kubeconfig: path }), pki), (err: Error) => err.message.includes(`cannot write the kubeconfig to ${path}`) && err.message.includes('--write-kubeconfig'));
});

test('the server URL is loopback unless a specific bind address is set', () => {
  const l = (bindAddress: string) => ({ listener: { bindAddress, httpsPort: 6443, tlsSans: [] } });
  assert.equal(apiServerUrl(l('0.0.0.0')), 'https://127.0.0.1:6443');
  assert.equal(apiServerUrl(l('::')), 'https://127.0.0.1:6443');
  assert.equal(apiServerUrl(l('10.1.2.3')), 'https://10.1.2.3:6443');
  assert.equal(apiServerUrl(l('fd00::5')), 'https://[fd00::5]:6443');
});
