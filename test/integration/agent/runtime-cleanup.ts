/**
 * Leaves the host as a test found it after a real containerd ran pods: every sandbox this
 * test's runtime holds is stopped and removed through CRI (which unmounts rootfs, tears down
 * netns and CNI state), then the test's bridge is deleted.
 */
import { CriClient } from '../../../src/agent/index.js';
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
