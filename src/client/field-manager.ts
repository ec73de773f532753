/**
 * Names the field manager of every write a component makes (as upstream components do:
 * kube-controller-manager, kube-scheduler, the kubelet), so managedFields and `kubectl apply
 * --server-side` conflicts say who owns what.
 */
import type { KubeObject } from '../api/types.js';
import type { ApiClient, PatchOptions, PatchType, ResourceRef, WriteOptions } from './types.js';

export function withFieldManager(client: ApiClient, fieldManager: string): ApiClient {
  const named = <O extends WriteOptions>(options: O | undefined): O => ({ ...(options ?? ({} as O)), fieldManager: options?.fieldManager ?? fieldManager });
  return {
    get: (ref, name, subresource) => client.get(ref, name, subresource),
    list: (ref, options) => client.list(ref, options),
    watch: (ref, options, onEvent, signal) => client.watch(ref, options, onEvent, signal),
    create: <T extends KubeObject>(ref: ResourceRef, object: T, options?: WriteOptions & { subresource?: string; name?: string }) => client.create<T>(ref, object, named(options)),
    update: <T extends KubeObject>(ref: ResourceRef, object: T, options?: WriteOptions & { subresource?: string }) => client.update<T>(ref, object, named(options)),
    patch: <T extends KubeObject>(ref: ResourceRef, name: string, type: PatchType, patch: unknown, options?: PatchOptions) => client.patch<T>(ref, name, type, patch, named(options)),
    delete: (ref, name, options) => client.delete(ref, name, options),
  };
}
