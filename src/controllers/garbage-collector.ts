/**
 * Garbage collector: follows ownerReferences across every stored kind. Dependents whose owners
 * are all gone are deleted (background cascade); dangling references beside live owners are
 * dropped. Owners deleted with propagationPolicy=Orphan carry the "orphan" finalizer: their
 * dependents lose the reference, then the finalizer goes. Owners deleted with Foreground carry
 * "foregroundDeletion": their dependents are deleted first, and the owner goes once no dependent
 * with blockOwnerDeletion is left.
 */
import { Catalogue } from '../api/catalogue.js';
import type { KubeObject, OwnerReference, ResourceInfo } from '../api/types.js';
import { isNotFound, type ResourceRef } from '../client/types.js';
import { orNull, QueueController, type ControllerContext } from './controller.js';
import { storedResources } from './stored-resources.js';

interface Node {
  info: ResourceInfo;
  object: KubeObject;
}

function refOf(info: ResourceInfo, namespace: string | undefined): ResourceRef {
  return { group: info.group, version: info.version, resource: info.resource, ...(info.namespaced && namespace ? { namespace } : {}) };
}

function gvkOf(owner: OwnerReference): { group: string; version: string; kind: string } {
  const slash = owner.apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: owner.apiVersion, kind: owner.kind } : { group: owner.apiVersion.slice(0, slash), version: owner.apiVersion.slice(slash + 1), kind: owner.kind };
}

export class GarbageCollector extends QueueController {
  readonly name = 'garbage-collector-controller';
  private readonly nodes = new Map<string, Node>();
  private readonly dependents = new Map<string, Set<string>>();

  constructor(
    private readonly catalogue: Catalogue = new Catalogue(),
    private readonly resources: ResourceInfo[] = storedResources(catalogue).filter((r) => r.verbs.includes('watch')),
  ) {
    super();
  }

  protected register(ctx: ControllerContext): void {
    for (const info of this.resources) {
      const informer = ctx.informers.for(info);
      informer.addHandlers({
        onAdd: (o) => this.observe(info, o),
        onUpdate: (o) => this.observe(info, o),
        onDelete: (o) => this.forget(o),
      });
    }
  }

  private observe(info: ResourceInfo, object: KubeObject): void {
    const uid = object.metadata?.uid;
    if (!uid) return;
    const previous = this.nodes.get(uid);
    for (const o of previous?.object.metadata?.ownerReferences ?? []) this.dependents.get(o.uid)?.delete(uid);
    this.nodes.set(uid, { info, object });
    const owners = object.metadata?.ownerReferences ?? [];
    for (const o of owners) {
      let set = this.dependents.get(o.uid);
      if (!set) this.dependents.set(o.uid, (set = new Set()));
      set.add(uid);
    }
    const finalizers = object.metadata?.finalizers ?? [];
    if (owners.length > 0 || (object.metadata?.deletionTimestamp && (finalizers.includes('orphan') || finalizers.includes('foregroundDeletion')))) this.queue.add(uid);
  }

  private forget(object: KubeObject): void {
    const uid = object.metadata?.uid;
    if (!uid) return;
    this.nodes.delete(uid);
    // Its dependents may now be orphans; a foreground owner may be waiting for it.
    for (const dep of this.dependents.get(uid) ?? []) this.queue.add(dep);
    for (const o of object.metadata?.ownerReferences ?? []) {
      this.dependents.get(o.uid)?.delete(uid);
      if (this.nodes.has(o.uid)) this.queue.add(o.uid);
    }
  }

  protected async reconcile(uid: string): Promise<void> {
    const node = this.nodes.get(uid);
    if (!node) return;
    const meta = node.object.metadata ?? {};
    const finalizers = meta.finalizers ?? [];
    if (meta.deletionTimestamp && finalizers.includes('orphan')) await this.orphanDependents(uid, node);
    else if (meta.deletionTimestamp && finalizers.includes('foregroundDeletion')) await this.deleteDependentsFirst(uid, node);
    if ((meta.ownerReferences ?? []).length > 0) await this.checkOwners(uid, node);
  }

  private liveDependents(uid: string): Node[] {
    return [...(this.dependents.get(uid) ?? [])].map((d) => this.nodes.get(d)).filter((n): n is Node => n !== undefined);
  }

  private async orphanDependents(uid: string, owner: Node): Promise<void> {
    for (const dep of this.liveDependents(uid)) {
      await this.patch(dep, { metadata: { ownerReferences: orNull((dep.object.metadata?.ownerReferences ?? []).filter((o) => o.uid !== uid)), uid: dep.object.metadata?.uid } });
    }
    await this.removeFinalizer(owner, 'orphan');
  }

  private async deleteDependentsFirst(uid: string, owner: Node): Promise<void> {
    let blocking = 0;
    for (const dep of this.liveDependents(uid)) {
      const ref = dep.object.metadata?.ownerReferences?.find((o) => o.uid === uid);
      if (ref?.blockOwnerDeletion) blocking++;
      if (dep.object.metadata?.deletionTimestamp) continue;
      // Dependents that block their owner are deleted in the foreground too, so the chain waits.
      await this.delete(dep, ref?.blockOwnerDeletion ? 'Foreground' : 'Background');
    }
    if (blocking === 0) await this.removeFinalizer(owner, 'foregroundDeletion');
  }

  private async checkOwners(uid: string, dep: Node): Promise<void> {
    const owners = dep.object.metadata?.ownerReferences ?? [];
    const dangling: OwnerReference[] = [];
    let waitingForeground = false;
    for (const o of owners) {
      const state = await this.ownerState(o, dep);
      if (state === 'absent') dangling.push(o);
      else if (state === 'foreground') waitingForeground = true;
    }
    if (dangling.length === 0) {
      if (waitingForeground && !dep.object.metadata?.deletionTimestamp) this.queue.add(owners.find((o) => this.nodes.get(o.uid)?.object.metadata?.deletionTimestamp)?.uid ?? uid);
      return;
    }
    if (dangling.length === owners.length) {
      if (!dep.object.metadata?.deletionTimestamp) await this.delete(dep, 'Background');
      return;
    }
    const gone = new Set(dangling.map((o) => o.uid));
    await this.patch(dep, { metadata: { ownerReferences: orNull(owners.filter((o) => !gone.has(o.uid))), uid: dep.object.metadata?.uid } });
  }

  /** Whether an owner still exists: from the graph, confirmed with the API when the graph has no such uid. */
  private async ownerState(owner: OwnerReference, dep: Node): Promise<'present' | 'absent' | 'foreground'> {
    const known = this.nodes.get(owner.uid);
    if (known) return known.object.metadata?.finalizers?.includes('foregroundDeletion') && known.object.metadata.deletionTimestamp ? 'foreground' : 'present';
    const info = this.catalogue.byKind(gvkOf(owner));
    if (!info) return 'present'; // a kind this server does not serve: leave it alone
    try {
      const live = await this.ctx.client.get(refOf(info, dep.object.metadata?.namespace), owner.name);
      return live.metadata?.uid === owner.uid ? 'present' : 'absent';
    } catch (err) {
      if (isNotFound(err)) return 'absent';
      throw err;
    }
  }

  private async patch(node: Node, patch: Record<string, unknown>): Promise<void> {
    try {
      await this.ctx.client.patch(refOf(node.info, node.object.metadata?.namespace), node.object.metadata?.name ?? '', 'merge', patch);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async delete(node: Node, propagationPolicy: 'Background' | 'Foreground'): Promise<void> {
    try {
      await this.ctx.client.delete(refOf(node.info, node.object.metadata?.namespace), node.object.metadata?.name ?? '', { propagationPolicy, preconditions: { uid: node.object.metadata?.uid ?? '' } });
    } catch (err) {
      if (!isNotFound(err) && !String((err as Error).message).includes('Precondition failed')) throw err;
    }
  }

  private async removeFinalizer(node: Node, finalizer: string): Promise<void> {
    const finalizers = (node.object.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    await this.patch(node, { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: node.object.metadata?.resourceVersion } });
  }
}
