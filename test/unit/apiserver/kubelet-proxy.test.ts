import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { KubeletProxy } from '../../../src/apiserver/proxy/kubelet.js';
import { StatusError } from '../../../src/apiserver/errors.js';

const node = { metadata: { name: 'n1' }, status: { addresses: [{ type: 'Hostname', address: 'h' }, { type: 'InternalIP', address: '10.0.0.5' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } } as unknown as KubeObject;

function proxy(pod: Record<string, unknown>): KubeletProxy {
  return new KubeletProxy({
    tls: { certPem: '', keyPem: '', caPem: '' },
    getPod: async () => ({ metadata: { name: 'p', namespace: 'ns' }, ...pod }) as KubeObject,
    getNode: async (name) => (name === 'n1' ? node : undefined),
  });
}

const two = { spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'init' }] } };

async function rejects(promise: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof StatusError && err.code === code && message.test(err.message));
}

test('logs and exec go to the node InternalIP and kubelet port, with only their own parameters', async () => {
  const q = new URLSearchParams('container=b&follow=true&tailLines=3&pretty=true');
  assert.deepEqual(await proxy(two).locate('log', 'ns', 'p', q), { host: '10.0.0.5', port: 10250, path: '/containerLogs/ns/p/b?follow=true&tailLines=3' });
  const exec = new URLSearchParams('container=init&command=sh&command=-c&command=echo+hi&stdin=true&tty=false');
  assert.equal((await proxy(two).locate('exec', 'ns', 'p', exec)).path, '/exec/ns/p/init?command=sh&command=-c&command=echo+hi&stdin=true&tty=false');
  assert.equal((await proxy(two).locate('portforward', 'ns', 'p', new URLSearchParams('ports=8080'))).path, '/portForward/ns/p?ports=8080');
});

test('the only container is the default; otherwise the container must be named and exist', async () => {
  const one = { spec: { nodeName: 'n1', containers: [{ name: 'main' }] } };
  assert.equal((await proxy(one).locate('log', 'ns', 'p', new URLSearchParams())).path, '/containerLogs/ns/p/main');
  await rejects(proxy(two).locate('log', 'ns', 'p', new URLSearchParams()), 400, /a container name must be specified for pod p, choose one of: \[a b\] or one of the init containers: \[init\]/);
  await rejects(proxy(two).locate('exec', 'ns', 'p', new URLSearchParams('container=zz')), 400, /container zz is not valid for pod p/);
});

test('a pod without a node, or on an unknown node, is a 400', async () => {
  await rejects(proxy({ spec: { containers: [{ name: 'a' }] } }).locate('log', 'ns', 'p', new URLSearchParams()), 400, /pod p does not have a host assigned/);
  await rejects(proxy({ spec: { nodeName: 'gone', containers: [{ name: 'a' }] } }).locate('log', 'ns', 'p', new URLSearchParams()), 400, /node gone, which does not exist/);
});
