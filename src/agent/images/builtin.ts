/**
 * The images k3s provides itself, since no registry is reachable where it runs: a pause
 * (sandbox) image and a busybox image, both built from the host's static busybox (Debian's
 * busybox-static) as OCI layout tarballs. The pause image is busybox's shell as PID 1 that
 * exits on SIGTERM and reaps children (wait), which is all a sandbox's init has to do.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ociArchitecture, ociLayoutTar } from './oci-layout.js';
import { tarArchive, type TarEntry } from './tar.js';

/** The sandbox image name the generated containerd config uses. */
export const PAUSE_IMAGE = 'docker.io/k3s-ts/pause:3.6';
export const PAUSE_TAR = 'k3s-ts-pause.tar';
export const BUSYBOX_TAR = 'k3s-ts-busybox.tar';
export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

const PAUSE_SCRIPT = "trap 'exit 0' TERM INT; while :; do sleep 2147483647 & wait $!; done";

export class BusyboxMissingError extends Error {
  override readonly name = 'BusyboxMissingError';
  constructor() {
    super(`no static busybox found (looked at ${BUSYBOX_CANDIDATES.join(', ')}): install Debian's busybox-static (apt-get install busybox-static) so k3s can build its pause and busybox images`);
  }
}

export function findBusybox(): string | undefined {
  return BUSYBOX_CANDIDATES.find((p) => existsSync(p));
}

/** The version busybox reports, e.g. "1.35.0". */
export function busyboxVersion(path: string): string {
  let banner = '';
  try {
    banner = execFileSync(path, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // busybox with no applet prints its banner and exits 1.
    banner = String((err as { stdout?: string }).stdout ?? '');
  }
  return /BusyBox v(\d+\.\d+\.\d+)/.exec(banner)?.[1] ?? 'unknown';
}

/** The one layer both images share: busybox, its applet links, and the usual top-level dirs. */
export function busyboxLayer(path: string): Buffer {
  const binary = readFileSync(path);
  const applets = execFileSync(path, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'bin/busybox');
  const dirs = new Set(['bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp', 'usr', 'usr/bin', 'usr/sbin', 'sbin', 'var', 'var/run']);
  for (const applet of applets) dirs.add(applet.slice(0, applet.lastIndexOf('/')));
  const entries: TarEntry[] = [...dirs].sort().map((d) => ({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 }));
  entries.push({ type: 'file', path: 'bin/busybox', data: binary, mode: 0o755 });
  for (const applet of applets.sort()) entries.push({ type: 'symlink', path: applet, target: '/bin/busybox' });
  entries.push({ type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') });
  entries.push({ type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') });
  return tarArchive(entries);
}

export interface BuiltImages {
  readonly pause: string;
  readonly busybox: string;
  readonly busyboxNames: readonly string[];
}

/**
 * Writes the pause and busybox tarballs into `dir` (the airgap images dir) unless they are
 * already there. Written to a temp name then renamed, so the importer never sees half a file.
 */
export function ensureBuiltinImages(dir: string, busybox = findBusybox()): BuiltImages {
  if (!busybox) throw new BusyboxMissingError();
  mkdirSync(dir, { recursive: true });
  const version = busyboxVersion(busybox);
  const busyboxNames = [`docker.io/library/busybox:${version}`, 'docker.io/library/busybox:latest'];
  const pause = join(dir, PAUSE_TAR);
  const box = join(dir, BUSYBOX_TAR);
  if (existsSync(pause) && existsSync(box)) return { pause, busybox: box, busyboxNames };
  const layer = busyboxLayer(busybox);
  const architecture = ociArchitecture();
  const write = (path: string, data: Buffer): void => {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  };
  write(pause, ociLayoutTar({ names: [PAUSE_IMAGE], layer, entrypoint: ['/bin/sh', '-c', PAUSE_SCRIPT], architecture }));
  write(box, ociLayoutTar({ names: busyboxNames, layer, cmd: ['sh'], architecture }));
  return { pause, busybox: box, busyboxNames };
}
