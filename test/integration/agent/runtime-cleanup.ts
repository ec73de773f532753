/**
 * Leaves the host as a test found it after a real containerd ran pods: every sandbox this
 * test's runtime holds is stopped and removed through CRI (which unmounts rootfs, tears down
 * netns and CNI state), then the test's bridge is deleted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdPaths, CriClient } from '../../../src/agent/index.js';
import { run } from '../../helpers/index.js';

export async function cleanUpRuntime(socket: string, bridge?: string): Promise<void> {
  const cri = new CriClient(socket, { timeoutMs: 20_000 });
  try {
    for (const sandbox of await cri.listPodSandbox()) {
      for (const c of await cri.listContainers({ podSandboxId: sandbox.id })) await cri.stopContainer(c.id, 0).catch(() => undefined);
      await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
      await cri.removePodSandbox(sandbox.id).catch(() => undefined);
    }
  } catch {
    // containerd already gone: nothing to clean through it.
  } finally {
    cri.close();
  }
  if (bridge) await run('ip', ['link', 'del', bridge]);
}

/**
 * Removes the pod network namespaces (/run/netns/cni-*) that the root containerd of `dataDir`
 * made and never removed. containerd drops one at StopPodSandbox only, so each sandbox still
 * there when containerd was killed (a pod started after the test's cleanup, or a cleanup that
 * found containerd gone) leaves its bind mount in /run/netns for good. The names are read from
 * that containerd's own metadata database, so another test's namespaces are never touched. Call
 * it once containerd is gone; returns the names removed.
 */
export async function removeLeftoverPodNetns(dataDir: string): Promise<string[]> {
  const db = join(containerdPaths(dataDir, { rootless: false }).root, 'io.containerd.metadata.v1.bolt', 'meta.db');
  if (!existsSync(db)) return [];
  // bbolt stores the sandbox records' JSON as is: the paths can be read without a bbolt reader.
  const paths = readFileSync(db, 'latin1').match(/\/netns\/cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];
  const removed: string[] = [];
  for (const name of new Set(paths.map((p) => p.slice('/netns/'.length)))) {
    if (!existsSync(join('/run/netns', name))) continue;
    if ((await run('ip', ['netns', 'delete', name])).code === 0) removed.push(name);
  }
  return removed;
}
