/**
 * Every active namespace gets a "default" ServiceAccount and the kube-root-ca.crt ConfigMap
 * (the cluster CA, for clients inside pods), re-created when deleted and restored when changed,
 * as upstream's serviceaccount and root-ca-cert-publisher controllers do.
 */
import type { KubeObject } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { isAlreadyExists, isNotFound } from '../client/types.js';
import { QueueController, type ControllerContext } from './controller.js';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;
const SERVICE_ACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts' } as const;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class ServiceAccountController extends QueueController {
  readonly name = 'serviceaccount-controller';
  private namespaces!: Informer;
  private accounts!: Informer;
  private configMaps!: Informer;

  /** `caPem`: the server CA certificate published in kube-root-ca.crt. */
  constructor(private readonly caPem: string) {
    super();
  }

  protected register(ctx: ControllerContext): void {
    this.namespaces = ctx.informers.for(NAMESPACES);
    this.accounts = ctx.informers.for(SERVICE_ACCOUNTS);
    this.configMaps = ctx.informers.for(CONFIGMAPS);
    const byNamespace = (o: KubeObject): void => this.queue.add(o.metadata?.name ?? '');
    this.namespaces.addHandlers({ onAdd: byNamespace, onUpdate: byNamespace });
    const byOwnNamespace = (o: KubeObject): void => {
      if (o.metadata?.name === 'default' || o.metadata?.name === ROOT_CA_CONFIGMAP) this.queue.add(o.metadata?.namespace ?? '');
    };
    this.accounts.addHandlers({ onUpdate: byOwnNamespace, onDelete: byOwnNamespace });
    this.configMaps.addHandlers({ onUpdate: byOwnNamespace, onDelete: byOwnNamespace });
  }

  protected async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.get(namespace);
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
    if (!this.accounts.get(`${namespace}/default`)) {
      await this.createIgnoringExists({ ...SERVICE_ACCOUNTS, namespace }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
    }
    const cm = this.configMaps.get(`${namespace}/${ROOT_CA_CONFIGMAP}`);
    const data = { 'ca.crt': this.caPem };
    const annotations = { 'kubernetes.io/description': ROOT_CA_DESCRIPTION };
    if (!cm) {
      await this.createIgnoringExists({ ...CONFIGMAPS, namespace }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations }, data });
    } else if (JSON.stringify(cm.data) !== JSON.stringify(data) || cm.metadata?.annotations?.['kubernetes.io/description'] !== ROOT_CA_DESCRIPTION) {
      try {
        await this.ctx.client.update({ ...CONFIGMAPS, namespace }, { ...cm, metadata: { ...cm.metadata, annotations: { ...cm.metadata?.annotations, ...annotations } }, data });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async createIgnoringExists(ref: Parameters<typeof this.ctx.client.create>[0], object: KubeObject): Promise<void> {
    try {
      await this.ctx.client.create(ref, object);
    } catch (err) {
      // Exists (a race with a user or a slow informer) or the namespace went away: both fine.
      if (isAlreadyExists(err) || isNotFound(err)) return;
      if (String((err as Error).message).includes('is being terminated')) return;
      throw err;
    }
  }
}

