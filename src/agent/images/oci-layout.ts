/**
 * Writes an image as an OCI image layout tarball (oci-layout, index.json, blobs/sha256/...),
 * the format `ctr images import` and k3s's airgap directory accept. The index names the image
 * with the annotations containerd reads (io.containerd.image.name) and the OCI ref name.
 */
import { createHash } from 'node:crypto';
import { tarArchive, type TarEntry } from './tar.js';

export interface ImageSpec {
  /** Fully qualified names, e.g. docker.io/library/busybox:1.35.0. */
  readonly names: readonly string[];
  /** One uncompressed layer tar. */
  readonly layer: Buffer;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  readonly workingDir?: string;
  readonly architecture: string;
}

interface Blob {
  readonly digest: string;
  readonly data: Buffer;
}

function blob(data: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, data };
}

/** Node's process.arch to the OCI/Go architecture name. */
export function ociArchitecture(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

/** The OCI layout tarball of `spec`; deterministic for the same input. */
export function ociLayoutTar(spec: ImageSpec): Buffer {
  // The layer stays uncompressed (its digest is its diff_id): gzip made building the built-in
  // images on a node's first start ~150 ms of main-thread work, and containerd then had to
  // decompress it again to unpack; the bytes only ever travel from this file into containerd.
  const layer = blob(spec.layer);
  const diffId = layer.digest;
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: spec.architecture,
        os: 'linux',
        config: {
          ...(spec.env ? { Env: spec.env } : { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }),
          ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
          ...(spec.cmd ? { Cmd: spec.cmd } : {}),
          ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
        },
        rootfs: { type: 'layers', diff_ids: [diffId] },
        history: [{ created_by: 'k3s-ts image builder' }],
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.data.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.data.length }],
      }),
    ),
  );
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: spec.names.map((name) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifest.digest,
      size: manifest.data.length,
      platform: { architecture: spec.architecture, os: 'linux' },
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1) },
    })),
  };
  const entries: TarEntry[] = [
    { type: 'file', path: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { type: 'file', path: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
  ];
  for (const b of [layer, config, manifest]) entries.push({ type: 'file', path: `blobs/sha256/${b.digest.slice('sha256:'.length)}`, data: b.data });
  return tarArchive(entries);
}
