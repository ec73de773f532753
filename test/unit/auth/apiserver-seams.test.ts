/** Compile-time and run-time check that auth's functions fit the apiserver's seams unchanged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Authorize, SubjectRules } from '../../../src/apiserver/types.js';
import { createAuthorizer, RbacCache, type UserInfo } from '../../../src/auth/index.js';

test('createAuthorizer(...).authorize is the apiserver\'s Authorize, and rulesFor its SubjectRules', async () => {
  const authz = createAuthorizer(new RbacCache());
  const authorize: Authorize = (attributes) => authz.authorize(attributes);
  const rules: (user: UserInfo, namespace: string) => Promise<SubjectRules> = (user, ns) => authz.rulesFor(user, ns);
  const admin = { username: 'system:admin', groups: ['system:masters'] };
  assert.equal((await authorize({ user: admin, verb: 'get', isResourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'pods', namespace: 'x' })).allowed, true);
  assert.deepEqual((await rules(admin, 'default')).resourceRules, []);
});
