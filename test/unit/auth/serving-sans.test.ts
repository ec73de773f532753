import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstAddress, servingSubjectAltNames } from '../../../src/auth/index.js';
import { authConfig } from './fixture.js';

test('the kubernetes Service IP is the first address of each service CIDR', () => {
  assert.equal(firstAddress('10.43.0.0/16'), '10.43.0.1');
  assert.equal(firstAddress('10.43.7.9/16'), '10.43.0.1');
  assert.equal(firstAddress('fd00:43::/112'), 'fd00:43:0:0:0:0:0:1');
  assert.equal(firstAddress('not-a-cidr'), undefined);
});

test('serving SANs: service names with the cluster domain, loopback, node name, service IP, bind address and --tls-san', () => {
  const base = authConfig('/nowhere', { tlsSans: ['api.example.com', '198.51.100.4', 'API.example.com'] });
  const config = { ...base, listener: { ...base.listener, bindAddress: '192.0.2.10' }, cluster: { ...base.cluster, clusterDomain: 'corp.internal' } };
  const sans = servingSubjectAltNames(config, { hostAddresses: false, extraSans: ['127.0.0.1'] });
  assert.deepEqual(sans.dnsNames, ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.corp.internal', 'localhost', 'node-a', 'api.example.com']);
  assert.deepEqual(sans.ips, ['127.0.0.1', '::1', '10.43.0.1', '192.0.2.10', '198.51.100.4']);
});
