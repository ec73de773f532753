import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { ClusterRoleAggregationController } from '../../../src/controllers/clusterrole-aggregation.js';
import { waitFor } from '../../helpers/index.js';
import { startControllers } from './harness.js';

const ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' };
const LABEL = 'rbac.example.com/aggregate-to-monitoring';

function role(name: string, rules: unknown[], labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, ...(labels ? { labels } : {}) }, rules };
}

const PODS_READ = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] };
const NODES_READ = { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] };
const METRICS = { nonResourceURLs: ['/metrics'], verbs: ['get'] };

test('an aggregated ClusterRole follows the rules of the roles its selectors match', async (t) => {
  const client = await startControllers(t, () => [new ClusterRoleAggregationController()]);
  const rulesOf = async (): Promise<unknown[]> => ((await client.get(ROLES, 'monitoring'))['rules'] as unknown[] | undefined) ?? [];
  const rulesAre = (want: unknown[]): Promise<unknown> => waitFor(`monitoring rules ${JSON.stringify(want)}`, async () => JSON.stringify(await rulesOf()) === JSON.stringify(want), 15_000);

  await client.create(ROLES, role('b-pods', [PODS_READ], { [LABEL]: 'true' }));
  await client.create(ROLES, { ...role('monitoring', []), aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [LABEL]: 'true' } }] } });
  await rulesAre([PODS_READ]);

  // A new matching role adds its rules (name order, duplicates once); an unlabelled one does not.
  await client.create(ROLES, role('a-nodes', [NODES_READ, PODS_READ], { [LABEL]: 'true' }));
  await client.create(ROLES, role('unrelated', [METRICS]));
  await rulesAre([NODES_READ, PODS_READ]);

  // Changing a source's rules, labelling another, unlabelling one and deleting one all show.
  await client.patch(ROLES, 'b-pods', 'merge', { rules: [PODS_READ, METRICS] });
  await rulesAre([NODES_READ, PODS_READ, METRICS]);
  await client.patch(ROLES, 'a-nodes', 'merge', { metadata: { labels: { [LABEL]: null } } });
  await rulesAre([PODS_READ, METRICS]);
  await client.delete(ROLES, 'b-pods');
  await rulesAre([]);

  // Hand edits of an aggregated role are put back.
  await client.patch(ROLES, 'a-nodes', 'merge', { metadata: { labels: { [LABEL]: 'true' } } });
  await rulesAre([NODES_READ, PODS_READ]);
  await client.patch(ROLES, 'monitoring', 'merge', { rules: [METRICS] });
  await rulesAre([NODES_READ, PODS_READ]);
  assert.deepEqual(await rulesOf(), [NODES_READ, PODS_READ]);
  const rv = (await client.get(ROLES, 'monitoring')).metadata?.resourceVersion;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await client.get(ROLES, 'monitoring')).metadata?.resourceVersion, rv, 'no rewrites when nothing changed');
});
