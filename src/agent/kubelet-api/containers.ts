/** Finding a pod's sandbox and container instances on this node, by the labels the agent sets. */
import type { Container, CriClient } from '../cri/index.js';
import { CONTAINER_NAME, POD_NAME, POD_NAMESPACE } from '../pods/labels.js';

/** An error the kubelet API answers with this HTTP code and message (a Status, reason from code). */
export class KubeletError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The container's instances, newest first. */
export async function containerInstances(cri: CriClient, namespace: string, pod: string, container: string): Promise<Container[]> {
  const list = await cri.listContainers({ labelSelector: { [POD_NAMESPACE]: namespace, [POD_NAME]: pod, [CONTAINER_NAME]: container } });
  return list.sort((a, b) => b.createdAt - a.createdAt);
}

/** The running (or newest) instance, or with `previous` the one before it. */
export async function findContainer(cri: CriClient, namespace: string, pod: string, container: string, previous = false): Promise<Container> {
  const instances = await containerInstances(cri, namespace, pod, container);
  const found = previous ? instances[1] : instances[0];
  if (found) return found;
  if (previous) throw new KubeletError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
  throw new KubeletError(400, `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
}

export async function findRunningContainer(cri: CriClient, namespace: string, pod: string, container: string): Promise<Container> {
  const found = await findContainer(cri, namespace, pod, container);
  if (found.state !== 'CONTAINER_RUNNING') throw new KubeletError(400, `container ${container} is not running (state ${found.state.replace('CONTAINER_', '').toLowerCase()})`);
  return found;
}

export async function findSandbox(cri: CriClient, namespace: string, pod: string): Promise<string> {
  const sandboxes = await cri.listPodSandbox({ labelSelector: { [POD_NAMESPACE]: namespace, [POD_NAME]: pod }, state: 'SANDBOX_READY' });
  const newest = sandboxes.sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!newest) throw new KubeletError(404, `pod ${namespace}/${pod} has no running sandbox on this node`);
  return newest.id;
}
