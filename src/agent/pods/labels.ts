/**
 * The labels and annotations the agent puts on CRI sandboxes and containers (upstream's
 * io.kubernetes.* keys, so crictl output reads the same), and how it reads them back.
 */
export const POD_NAME = 'io.kubernetes.pod.name';
export const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const POD_UID = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME = 'io.kubernetes.container.name';
/** Annotation: how many times this container had been restarted when this instance was created. */
export const RESTART_COUNT = 'io.kubernetes.container.restartCount';
/** Label: our marker, so the agent never touches sandboxes another kubelet created. */
export const MANAGED_BY = 'io.k3s-ts.managed';
/** Annotation: "init" for init containers. */
export const CONTAINER_KIND = 'io.k3s-ts.container.kind';

export function podKeyOf(labels: Readonly<Record<string, string>>): string | undefined {
  const ns = labels[POD_NAMESPACE];
  const name = labels[POD_NAME];
  return ns && name ? `${ns}/${name}` : undefined;
}
