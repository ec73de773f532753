/**
 * A real OCI registry for pull tests: Debian's docker-registry on loopback with its own storage
 * (optionally behind basic auth),
 * and a push of an OCI layout tarball through the registry HTTP API (blob uploads, then the
 * manifest), so no docker or skopeo is needed.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnTracked, tempDir, waitFor } from '../../helpers/index.js';

interface Cleanup {
  after(fn: () => unknown): void;
}

/** Starts the registry; with `auth`, it requires HTTP basic auth (htpasswd, bcrypt from libc's crypt). */
export async function startRegistry(t: Cleanup, auth?: { username: string; password: string }): Promise<string> {
  const dir = tempDir(t, 'k3s-registry-');
  const port = await freePort();
  const config = join(dir, 'config.yml');
  let authConfig = '';
  if (auth) {
    const hash = execFileSync('python3', ['-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', auth.password], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    writeFileSync(join(dir, 'htpasswd'), `${auth.username}:${hash}\n`);
    authConfig = `auth:\n  htpasswd:\n    realm: test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n${authConfig}`);
  const registry = spawnTracked(t, 'docker-registry', ['serve', config]);
  const base = `127.0.0.1:${port}`;
  await waitFor('docker-registry', async () => {
    if (registry.child.exitCode !== null) throw new Error(`docker-registry exited: ${registry.output()}`);
    const status = (await fetch(`http://${base}/v2/`).catch(() => undefined))?.status;
    return status === 200 || (auth !== undefined && status === 401);
  }, 20_000);
  return base;
}

/** The files of a ustar archive by path. */
function untar(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const header = archive.subarray(offset, offset + 512);
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    const path = prefix ? `${prefix}/${name}` : name;
    if (header[156] === 0x30 || header[156] === 0) files.set(path, archive.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Pushes the image in an OCI layout tarball to `registry` as `repository:tag`. */
export async function pushOciLayout(registry: string, repository: string, tag: string, layoutTar: Buffer, auth?: { username: string; password: string }): Promise<void> {
  const headers: Record<string, string> = auth ? { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
  const files = untar(layoutTar);
  const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: { digest: string }[] };
  const manifestDigest = index.manifests[0]!.digest;
  const manifest = files.get(`blobs/sha256/${manifestDigest.slice(7)}`)!;
  const parsed = JSON.parse(manifest.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  for (const digest of [parsed.config.digest, ...parsed.layers.map((l) => l.digest)]) {
    const start = await fetch(`http://${registry}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location')!, `http://${registry}`);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', body: files.get(`blobs/sha256/${digest.slice(7)}`)!, headers: { ...headers, 'Content-Type': 'application/octet-stream' } });
    if (put.status !== 201) throw new Error(`blob upload ${digest}: ${put.status} ${await put.text()}`);
  }
  const put = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { ...headers, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  if (put.status !== 201) throw new Error(`manifest upload: ${put.status} ${await put.text()}`);
}
