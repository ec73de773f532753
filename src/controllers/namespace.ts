/**
 * Namespace controller: a namespace being deleted (phase Terminating) is emptied of every
 * namespaced object; once nothing is left it clears its "kubernetes" finalizer through the
 * finalize subresource and the API server removes it. Conditions on the namespace say what is
 * still there, as upstream's (NamespaceContentRemaining, NamespaceFinalizersRemaining).
 */
import type { KubeObject, ResourceInfo } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { isNotFound } from '../client/types.js';
import { QueueController, type ControllerContext } from './controller.js';
import { storedResources } from './stored-resources.js';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;
const FINALIZER = 'kubernetes';
/** How soon to look again while pods terminate gracefully. */
const RECHECK_MS = 2000;

type Namespace = KubeObject & { spec?: { finalizers?: string[] }; status?: { phase?: string; conditions?: Record<string, unknown>[] } };

export class NamespaceController extends QueueController {
  readonly name = 'namespace-controller';
  private namespaces!: Informer<Namespace>;
  private readonly resources: ResourceInfo[];

  constructor(resources: ResourceInfo[] = storedResources()) {
    super();
    this.resources = resources.filter((r) => r.namespaced && !(r.group === '' && r.resource === 'events'));
    // Events go last: what is deleted may still record them.
    const events = resources.find((r) => r.group === '' && r.resource === 'events');
    if (events) this.resources.push(events);
  }

  protected register(ctx: ControllerContext): void {
    this.namespaces = ctx.informers.for<Namespace>(NAMESPACES);
    const enqueue = (ns: Namespace): void => {
      if (ns.metadata?.deletionTimestamp) this.queue.add(ns.metadata.name ?? '');
    };
    this.namespaces.addHandlers({ onAdd: enqueue, onUpdate: enqueue });
  }

  protected async reconcile(name: string): Promise<void> {
    const ns = this.namespaces.get(name);
    if (!ns?.metadata?.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER)) return;
    const remaining: { resource: string; count: number }[] = [];
    const finalizersLeft = new Map<string, number>();
    for (const info of this.resources) {
      const ref = { group: info.group, version: info.version, resource: info.resource, namespace: name };
      const list = await this.ctx.client.list(ref);
      if (list.items.length === 0) continue;
      remaining.push({ resource: info.group ? `${info.resource}.${info.group}` : info.resource, count: list.items.length });
      for (const item of list.items) {
        for (const f of item.metadata?.finalizers ?? []) finalizersLeft.set(f, (finalizersLeft.get(f) ?? 0) + 1);
        if (item.metadata?.deletionTimestamp) continue;
        try {
          await this.ctx.client.delete(ref, item.metadata?.name ?? '', { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    if (remaining.length > 0) {
      await this.setConditions(ns, remaining, finalizersLeft);
      this.queue.addAfter(name, RECHECK_MS);
      return;
    }
    try {
      await this.ctx.client.update(NAMESPACES, { ...ns, spec: { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER) } }, { subresource: 'finalize' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async setConditions(ns: Namespace, remaining: { resource: string; count: number }[], finalizers: Map<string, number>): Promise<void> {
    const now = this.ctx.now().toISOString().replace(/\.\d+Z$/, 'Z');
    const content = remaining.map((r) => `${r.resource} has ${r.count} resource instances`).join(', ');
    const conditions: Record<string, unknown>[] = [
      { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${content}`, lastTransitionTime: now },
    ];
    if (finalizers.size > 0) {
      const which = [...finalizers].map(([f, n]) => `${f} in ${n} resource instances`).join(', ');
      conditions.push({ type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${which}`, lastTransitionTime: now });
    }
    const old = (ns.status?.conditions ?? []).map((c) => JSON.stringify({ ...c, lastTransitionTime: undefined }));
    if (JSON.stringify(old) === JSON.stringify(conditions.map((c) => JSON.stringify({ ...c, lastTransitionTime: undefined })))) return;
    try {
      await this.ctx.client.patch(NAMESPACES, ns.metadata?.name ?? '', 'merge', { status: { conditions } }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
