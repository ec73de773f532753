/**
 * The pod events of a controller that owns pods (ReplicaSet, DaemonSet, Job): each event goes to
 * the owner's key and settles that owner's expectations; an orphan is offered for adoption.
 */
import type { KubeObject } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import type { Expectations } from './expectations.js';
import { controllerOf } from './pods.js';

export interface OwnedPodRouting<P extends KubeObject> {
  /** The owner kind whose controller reference makes a pod this controller's. */
  kind: string;
  expectations: Expectations;
  enqueue(ownerKey: string): void;
  /** A pod no controller owns (added or updated): a matching owner may adopt it. */
  orphan(pod: P): void;
  /** The id the controller expected the deletion under (default: the pod's uid). */
  deletionId?(pod: P): string;
}

export function routeOwnedPods<P extends KubeObject>(pods: Informer<P>, routing: OwnedPodRouting<P>): void {
  const ownerKey = (pod: P): string | undefined => {
    const owner = controllerOf(pod);
    return owner?.kind === routing.kind ? `${pod.metadata?.namespace}/${owner.name}` : undefined;
  };
  const deletionId = routing.deletionId ?? ((pod: P) => pod.metadata?.uid ?? '');
  pods.addHandlers({
    onAdd: (pod) => {
      const key = ownerKey(pod);
      if (!key) return routing.orphan(pod);
      routing.expectations.creationObserved(key);
      routing.enqueue(key);
    },
    onUpdate: (pod, old) => {
      const key = ownerKey(pod);
      // Released (or moved) by its owner: the old owner must count again.
      const oldKey = ownerKey(old);
      if (oldKey && oldKey !== key) routing.enqueue(oldKey);
      if (!key) return routing.orphan(pod);
      if (pod.metadata?.deletionTimestamp) routing.expectations.deletionObserved(key, deletionId(pod));
      routing.enqueue(key);
    },
    onDelete: (pod) => {
      const key = ownerKey(pod);
      if (!key) return;
      routing.expectations.deletionObserved(key, deletionId(pod));
      routing.enqueue(key);
    },
  });
}
