/**
 * Inside the rootless namespaces, rootlesskit's --copy-up makes /run and /var/lib writable
 * tmpfs dirs whose original entries are symlinks into a read-only view of the host's. An entry
 * the host already has (/run/netns after any root container runtime ran, /run/containerd,
 * /var/lib/cni) is therefore not writable, and sandboxes fail with "failed to setup netns:
 * permission denied". Replacing such a symlink with an empty private directory fixes it; the
 * host's copy is untouched.
 */
import { lstatSync, mkdirSync, readlinkSync, unlinkSync } from 'node:fs';
import { logger } from '../log/index.js';

const log = logger('agent');

/** Runtime paths containerd, runc and CNI write to. */
export const RUNTIME_WRITABLE_DIRS = ['/run/netns', '/run/containerd', '/run/runc', '/var/lib/cni'] as const;

export function privatizeCopiedUpDirs(paths: readonly string[] = RUNTIME_WRITABLE_DIRS): void {
  for (const path of paths) {
    let target: string;
    try {
      if (!lstatSync(path).isSymbolicLink()) continue;
      target = readlinkSync(path);
    } catch {
      continue; // absent: containerd creates it in the writable copy-up dir
    }
    // rootlesskit's copy-up links point into ".ro<random>/" (the host's read-only view).
    if (!/(^|\/)\.ro\d+\//.test(target)) continue;
    unlinkSync(path);
    mkdirSync(path, { recursive: true, mode: 0o755 });
    log.debug({ path }, 'replaced the copied-up host entry with a private directory');
  }
}
