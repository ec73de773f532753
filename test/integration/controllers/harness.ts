/** A real API server on SQLite with the given controllers running against it through the loopback client. */
import type { KubeObject } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/client/types.js';
import type { Controller } from '../../../src/controllers/controller.js';
import { ControllerManager } from '../../../src/controllers/manager.js';
import { startHarness } from '../apiserver/harness.js';

export async function startControllers(t: { after(fn: () => unknown): void }, make: () => Controller[]): Promise<ApiClient> {
  const harness = await startHarness(t);
  const client = harness.server.loopback();
  const manager = new ControllerManager(client, make, { retryPeriodMs: 50 });
  const ac = new AbortController();
  await manager.start(ac.signal);
  t.after(async () => {
    ac.abort();
    await manager.stopped();
  });
  return client;
}

/** Marks a pod Running and Ready (or not) through the status subresource, as its kubelet would. */
export async function setPodReady(client: ApiClient, pod: KubeObject, ready: boolean): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.patch({ group: '', version: 'v1', resource: 'pods', namespace: pod.metadata?.namespace ?? 'default' }, pod.metadata?.name ?? '', 'merge', {
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
      ],
    },
  }, { subresource: 'status' });
}
