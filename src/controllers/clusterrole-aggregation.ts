/**
 * ClusterRole aggregation controller: a ClusterRole with an aggregationRule gets, as its rules,
 * the union of the rules of every ClusterRole its clusterRoleSelectors match (in name order,
 * duplicates dropped), kept current as roles are labelled, changed or deleted. This is how a
 * role labelled rbac.authorization.k8s.io/aggregate-to-edit: "true" extends admin, edit and view.
 */
import type { KubeObject } from '../api/types.js';
import { labelSelectorFromObject } from '../apiserver/selectors/labels.js';
import type { Informer } from '../client/informer.js';
import { isConflict, isNotFound } from '../client/types.js';
import { QueueController, type ControllerContext } from './controller.js';

const CLUSTER_ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' } as const;

type ClusterRole = KubeObject & { rules?: unknown[] | null; aggregationRule?: { clusterRoleSelectors?: unknown[] } };

export class ClusterRoleAggregationController extends QueueController {
  readonly name = 'clusterrole-aggregation-controller';
  private roles!: Informer<ClusterRole>;

  protected register(ctx: ControllerContext): void {
    this.roles = ctx.informers.for<ClusterRole>(CLUSTER_ROLES);
    // Any role may feed any aggregated one: a change anywhere looks at every aggregated role.
    const enqueueAggregated = (): void => {
      for (const r of this.roles.list()) if (r.aggregationRule) this.queue.add(r.metadata?.name ?? '');
    };
    this.roles.addHandlers({ onAdd: enqueueAggregated, onUpdate: enqueueAggregated, onDelete: enqueueAggregated });
  }

  protected async reconcile(name: string): Promise<void> {
    const role = this.roles.get(name);
    const selectors = role?.aggregationRule?.clusterRoleSelectors;
    if (!role || !selectors) return;
    const matchers = selectors.map((s) => labelSelectorFromObject(s));
    const rules: unknown[] = [];
    const seen = new Set<string>();
    const sources = this.roles
      .list()
      .filter((r) => r.metadata?.name !== name && matchers.some((m) => m.matches(r.metadata?.labels)))
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    for (const source of sources) {
      for (const rule of source.rules ?? []) {
        const key = JSON.stringify(rule);
        if (seen.has(key)) continue;
        seen.add(key);
        rules.push(rule);
      }
    }
    if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
    try {
      await this.ctx.client.update(CLUSTER_ROLES, { ...role, rules } as KubeObject);
    } catch (err) {
      if (isNotFound(err)) return;
      // Edited meanwhile: the informer's update brings it back here.
      if (isConflict(err)) return;
      throw err;
    }
  }
}
