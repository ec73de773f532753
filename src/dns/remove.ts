/**
 * `--disable coredns`: as upstream deletes a disabled packaged component, the kube-dns Service,
 * Endpoints and EndpointSlice an earlier run created are removed, so the cluster DNS IP does not
 * keep pointing at a listener that no longer exists. Objects someone else made (without our
 * managed-by label) are left alone.
 */
import { isNotFound, type ApiClient } from '../client/index.js';
import { logger } from '../log/index.js';
import type { Runnable } from '../supervisor/runnable.js';
import { ENDPOINTS, KUBE_DNS, MANAGED_BY, SERVICES, SLICE_NAME, SLICES } from './kube-dns.js';

export class RemoveClusterDns implements Runnable {
  readonly name = 'dns-removal';

  constructor(private readonly client: () => ApiClient) {}

  async start(): Promise<void> {
    const client = this.client();
    const log = logger('dns');
    try {
      const service = await client.get(SERVICES, KUBE_DNS).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (service?.metadata?.labels?.['app.kubernetes.io/managed-by'] !== MANAGED_BY) return;
      for (const [ref, name] of [[SERVICES, KUBE_DNS], [ENDPOINTS, KUBE_DNS], [SLICES, SLICE_NAME]] as const) {
        await client.delete(ref, name).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      }
      log.info('cluster DNS disabled: removed the kube-dns Service left by an earlier run');
    } catch (err) {
      // Not worth failing the server for: the objects only point at a listener that is gone.
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'removing the kube-dns Service of an earlier run failed; delete it with kubectl -n kube-system delete service kube-dns');
    }
  }
}
