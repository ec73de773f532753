/**
 * What `k3s certificate check` and `k3s certificate rotate` need: a report of every certificate
 * under server/tls with its expiry, and rotation of the leaf certificates (CAs are kept, so
 * existing tokens and kubeconfig CA data stay valid). Rotation backs the directory up first and
 * removes the leaf certificates and their keys, as upstream; the next ensurePki (server start)
 * issues new ones with new keys.
 */
import { cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { tlsPaths } from '../config/paths.js';
import { inspectCertificate, RENEW_BEFORE_DAYS } from './certs.js';
import { readOptional } from './files.js';

export interface CertificateStatus {
  readonly file: string;
  readonly commonName: string;
  readonly isCa: boolean;
  readonly notAfter: Date;
  /** ok; warning: inside the renewal window (re-issued at next start); expired. */
  readonly status: 'ok' | 'warning' | 'expired';
}

export async function checkCertificates(config: Pick<Config, 'dataDir'>, now = new Date()): Promise<CertificateStatus[]> {
  const dir = tlsPaths(config).dir;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.crt')).sort();
  const out: CertificateStatus[] = [];
  for (const name of names) {
    const pem = await readOptional(join(dir, name));
    if (!pem) continue;
    const info = inspectCertificate(pem);
    const left = info.notAfter.getTime() - now.getTime();
    const status = left <= 0 ? 'expired' : left < RENEW_BEFORE_DAYS * 24 * 3600 * 1000 ? 'warning' : 'ok';
    out.push({ file: join(dir, name), commonName: info.commonName, isCa: info.isCa, notAfter: info.notAfter, status });
  }
  return out;
}

/**
 * Backs up server/tls to server/tls-<unix seconds> and removes the leaf certificates with their
 * keys (not the CAs, not service.key). Returns the backup directory and the removed files.
 */
export async function rotateLeafCertificates(config: Pick<Config, 'dataDir'>, now = new Date()): Promise<{ backup: string; removed: string[] }> {
  const paths = tlsPaths(config);
  const backup = `${paths.dir}-${Math.floor(now.getTime() / 1000)}`;
  await cp(paths.dir, backup, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
  const removed: string[] = [];
  for (const status of await checkCertificates(config, now)) {
    if (status.isCa || status.file.endsWith('.nochain.crt')) continue;
    const key = status.file.replace(/\.crt$/, '.key');
    await rm(status.file, { force: true });
    await rm(key, { force: true });
    removed.push(status.file, key);
  }
  return { backup, removed };
}
