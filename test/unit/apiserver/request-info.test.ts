import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestInfo } from '../../../src/apiserver/request-info.js';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);

test('resource paths map to verbs, namespaces, names and subresources as upstream', () => {
  assert.deepEqual(requestInfo('GET', '/api/v1/namespaces/ns/pods', q()), { isResourceRequest: true, verb: 'list', apiGroup: '', apiVersion: 'v1', namespace: 'ns', resource: 'pods', name: '', subresource: '', rest: [] });
  assert.equal((requestInfo('GET', '/api/v1/namespaces/ns/pods', q('watch=true')) as { verb: string }).verb, 'watch');
  assert.equal((requestInfo('GET', '/api/v1/watch/namespaces/ns/pods', q()) as { verb: string }).verb, 'watch');
  const scale = requestInfo('PATCH', '/apis/apps/v1/namespaces/ns/deployments/web/scale', q());
  assert.equal(scale.isResourceRequest && `${scale.verb} ${scale.apiGroup} ${scale.resource} ${scale.name} ${scale.subresource}`, 'patch apps deployments web scale');
  const ns = requestInfo('PUT', '/api/v1/namespaces/team/finalize', q());
  assert.equal(ns.isResourceRequest && `${ns.verb} ${ns.resource} ${ns.name} ${ns.subresource}`, 'update namespaces team finalize');
  const nsGet = requestInfo('GET', '/api/v1/namespaces/team', q());
  assert.equal(nsGet.isResourceRequest && `${nsGet.verb} ${nsGet.resource} ${nsGet.name}`, 'get namespaces team');
  assert.equal((requestInfo('DELETE', '/api/v1/namespaces/ns/configmaps', q()) as { verb: string }).verb, 'deletecollection');
  assert.equal((requestInfo('POST', '/api/v1/watch/namespaces/ns/pods', q())).isResourceRequest, false);
});

test('discovery and other paths are non-resource requests', () => {
  for (const path of ['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/version', '/healthz', '/openapi/v3']) {
    assert.equal(requestInfo('GET', path, q()).isResourceRequest, false, path);
  }
});
