/**
 * One ApiClient over two identities, as an upstream agent runs the kubelet and kube-proxy with
 * their own kubeconfigs: reads of Services, Endpoints and EndpointSlices (what the service proxy
 * watches) go out as system:kube-proxy, everything else as the kubelet (system:node:<name>), so
 * the node authorizer keeps its limits and the proxy needs no node rights it would not have.
 */
import type { KubeObject } from '../api/types.js';
import type { ApiClient, DeleteOptions, KubeList, ListOptions, PatchOptions, PatchType, ResourceRef, WatchEvent, WatchOptions, WriteOptions } from '../client/index.js';

const PROXY_READS = new Set(['/services', '/endpoints', 'discovery.k8s.io/endpointslices']);

export class IdentityClient implements ApiClient {
  constructor(
    private readonly kubelet: ApiClient,
    private readonly proxy: ApiClient,
  ) {}

  #reader(ref: ResourceRef): ApiClient {
    return PROXY_READS.has(`${ref.group}/${ref.resource}`) ? this.proxy : this.kubelet;
  }

  get<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, subresource?: string): Promise<T> {
    return this.#reader(ref).get<T>(ref, name, subresource);
  }
  list<T extends KubeObject = KubeObject>(ref: ResourceRef, options?: ListOptions): Promise<KubeList<T>> {
    return this.#reader(ref).list<T>(ref, options);
  }
  watch<T extends KubeObject = KubeObject>(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    return this.#reader(ref).watch<T>(ref, options, onEvent, signal);
  }
  create<T extends KubeObject = KubeObject>(ref: ResourceRef, object: T, options?: WriteOptions & { subresource?: string; name?: string }): Promise<T> {
    return this.kubelet.create<T>(ref, object, options);
  }
  update<T extends KubeObject = KubeObject>(ref: ResourceRef, object: T, options?: WriteOptions & { subresource?: string }): Promise<T> {
    return this.kubelet.update<T>(ref, object, options);
  }
  patch<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, type: PatchType, patch: unknown, options?: PatchOptions): Promise<T> {
    return this.kubelet.patch<T>(ref, name, type, patch, options);
  }
  delete(ref: ResourceRef, name: string, options?: DeleteOptions): Promise<KubeObject> {
    return this.kubelet.delete(ref, name, options);
  }
}
