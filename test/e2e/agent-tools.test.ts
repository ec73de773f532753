/**
 * A root node in its own network namespace, driven by kubectl and the k3s CLI: a pod's hostPort
 * answers at the node's IP from outside (CNI portmap); `k3s ctr` reaches the node's containerd in
 * the k8s.io namespace (an image tagged and imported there runs with imagePullPolicy Never);
 * `k3s crictl` ps/pods/images/logs/inspect/inspectp/rmi show what crictl shows; a postStart
 * hook's effect and a failing gRPC readiness probe as kubectl shows them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { K3S_BIN, run, waitFor, type RunResult } from '../helpers/index.js';
import { BUSYBOX, canRunNodeCluster, startNodeCluster } from './node-cluster.js';
import { podOnNode, type PodOptions } from './pod-manifest.js';

const TOOLS_POD: PodOptions = { grace: 1, pullPolicy: 'IfNotPresent' };

test('hostPort at the node IP, k3s ctr and k3s crictl against the node', { skip: !canRunNodeCluster && 'needs root for containerd', timeout: 300_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'tools' });
  const k3s = (args: string[]): Promise<RunResult> => run(process.execPath, [K3S_BIN, ...args], { timeoutMs: 60_000 });
  const must = async (args: string[]): Promise<string> => {
    const r = await k3s(args);
    assert.equal(r.code, 0, `k3s ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await cluster.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  // hostPort: busybox httpd on 8080 in the pod, published on the node's port 18080.
  await kubectl(['apply', '-f', '-'], podOnNode('web', cluster.node, 'mkdir -p /www; echo hello-hostport > /www/index.html; echo serving; exec httpd -f -p 8080 -h /www', { ...TOOLS_POD, containerYaml: '    ports:\n    - containerPort: 8080\n      hostPort: 18080\n' }));
  await kubectl(['wait', '--for=condition=Ready', 'pod/web', '--timeout=90s']);
  const body = await waitFor('hostPort answers at the node IP', async () => {
    const res = await fetch(`http://${cluster.netns.nodeIP}:18080/`).catch(() => undefined);
    return res?.status === 200 ? res.text() : undefined;
  }, 30_000);
  assert.equal(body, 'hello-hostport\n');

  // Lifecycle hooks and a gRPC probe as kubectl sees them: postStart ran in the container, the
  // readiness probe on a port nothing serves keeps the pod unready with the gRPC reason.
  await kubectl(['apply', '-f', '-'], podOnNode('hooks', cluster.node, 'sleep 3600', { ...TOOLS_POD, containerYaml: [
    '    lifecycle:',
    '      postStart:',
    '        exec:',
    '          command: ["sh", "-c", "echo started-by-hook > /tmp/poststart"]',
    '    readinessProbe:',
    '      grpc:',
    '        port: 9090',
    '      periodSeconds: 1',
    '',
  ].join('\n') }));
  await waitFor('hooks Running', async () => (await cluster.kubectl(['get', 'pod', 'hooks', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 60_000);
  assert.equal((await cluster.kubectl(['exec', 'hooks', '--', 'cat', '/tmp/poststart'])).stdout, 'started-by-hook\n');
  const unhealthy = await waitFor('Unhealthy event for the grpc probe', async () => {
    const out = (await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=hooks,reason=Unhealthy', '-o', 'jsonpath={.items[0].message}'])).stdout;
    return out || undefined;
  }, 30_000);
  assert.match(unhealthy, /^Readiness probe failed: failed to connect service "10\.42\.0\.\d+:9090" within 1s/);
  assert.equal((await cluster.kubectl(['get', 'pod', 'hooks', '-o', 'jsonpath={.status.containerStatuses[0].ready}'])).stdout, 'false');

  // k3s ctr: the k8s.io namespace of this node's containerd by default.
  const dd = ['--data-dir', cluster.dataDir];
  assert.match(await must(['ctr', ...dd, 'images', 'ls', '-q']), /^docker\.io\/library\/busybox:1\.35\.0$/m);
  await must(['ctr', ...dd, 'images', 'tag', BUSYBOX, 'docker.io/example/tools:1']);
  const tarball = join(cluster.dir, 'tools.tar');
  await must(['ctr', ...dd, 'images', 'export', tarball, 'docker.io/example/tools:1']);
  await must(['ctr', ...dd, 'images', 'rm', 'docker.io/example/tools:1']);
  const imported = await must(['ctr', ...dd, 'images', 'import', tarball]);
  assert.match(imported, /docker\.io\/example\/tools:1/);
  await kubectl(['apply', '-f', '-'], podOnNode('tools', cluster.node, 'echo from-tools; sleep 3600', { ...TOOLS_POD, image: 'docker.io/example/tools:1', pullPolicy: 'Never' }));
  await kubectl(['wait', '--for=condition=Ready', 'pod/tools', '--timeout=90s']);
  const noRuntime = await k3s(['ctr', '--data-dir', join(cluster.dir, 'nothing'), 'images', 'ls']);
  assert.equal(noRuntime.code, 1);
  assert.match(noRuntime.stderr, /k3s ctr: containerd is not running for data dir .*nothing \(no socket at .*containerd\.sock\)/);

  // k3s crictl
  const ps = await must(['crictl', ...dd, 'ps']);
  const header = ps.split('\n')[0] ?? '';
  // CREATED is as wide as its longest cell: "Less than a second ago" for a container that just started.
  assert.match(header, /^CONTAINER {11}IMAGE {15}CREATED {13,}STATE {15}NAME {16}ATTEMPT {13}POD ID {14}POD$/);
  const webLine = ps.split('\n').find((l) => / web$/.test(l)) ?? '';
  assert.match(webLine, /^([0-9a-f]{13}) {7}\S+ +(Less than a second|\d+ seconds?|About a minute) ago +Running +main +0 +[0-9a-f]{13} +web$/);
  const containerId = webLine.slice(0, 13);
  const pods = await must(['crictl', ...dd, 'pods']);
  assert.match(pods, /^POD ID {14}CREATED {13,}STATE {15}NAME {16}NAMESPACE {11}ATTEMPT {13}RUNTIME$/m);
  assert.match(pods, /^[0-9a-f]{13} +.+ ago +Ready +web +default +0 +\(default\)$/m);
  const images = await must(['crictl', ...dd, 'images']);
  assert.match(images, /^IMAGE {36}TAG {17}IMAGE ID {12}SIZE$|^IMAGE +TAG +IMAGE ID +SIZE$/m);
  assert.match(images, /^docker\.io\/library\/busybox +1\.35\.0 +[0-9a-f]{13} +[\d.]+[kM]B$/m);
  assert.match(await must(['crictl', ...dd, 'logs', containerId]), /^serving\n$/);
  assert.equal(await must(['crictl', ...dd, 'exec', containerId, 'cat', '/www/index.html']), 'hello-hostport\n');
  const exited = await k3s(['crictl', ...dd, 'exec', containerId, 'sh', '-c', 'echo oops >&2; exit 3']);
  assert.deepEqual([exited.code, exited.stderr], [3, 'oops\n']);
  assert.match(await must(['crictl', ...dd, 'version']), /^Version: {2}0\.1\.0\nRuntimeName: {2}containerd\nRuntimeVersion: {2}1\.6\.\S+\nRuntimeApiVersion: {2}v1\n$/);
  const info = JSON.parse(await must(['crictl', ...dd, 'info'])) as { status: { conditions: { type: string; status: boolean }[] } };
  assert.deepEqual(info.status.conditions.map((c) => [c.type, c.status]), [['RuntimeReady', true], ['NetworkReady', true]]);
  const inspect = JSON.parse(await must(['crictl', ...dd, 'inspect', containerId])) as { status: { state: string; metadata: { name: string }; createdAt: string; labels: Record<string, string> } };
  assert.equal(inspect.status.state, 'CONTAINER_RUNNING');
  assert.equal(inspect.status.labels['io.kubernetes.pod.name'], 'web');
  assert.match(inspect.status.createdAt, /^\d{19}$/);
  const podId = (await must(['crictl', ...dd, 'pods', '-q', '--name', '^web$'])).trim();
  const inspectp = JSON.parse(await must(['crictl', ...dd, 'inspectp', podId])) as { status: { state: string; network: { ip: string } } };
  assert.equal(inspectp.status.state, 'SANDBOX_READY');
  assert.match(inspectp.status.network.ip, /^10\.42\.0\.\d+$/);
  await kubectl(['delete', 'pod', 'tools', '--wait=true', '--timeout=60s']);
  // As with crictl, removing an image removes it with every tag it has (containerd's CRI
  // RemoveImage): the tag made from busybox takes busybox with it.
  const removed = await must(['crictl', ...dd, 'rmi', 'docker.io/example/tools:1']);
  assert.deepEqual(removed.trim().split('\n').sort(), ['Deleted: docker.io/example/tools:1', 'Deleted: docker.io/library/busybox:1.35.0', 'Deleted: docker.io/library/busybox:latest']);
  assert.doesNotMatch(await must(['crictl', ...dd, 'images']), /example\/tools|busybox/);
  const missing = await k3s(['crictl', ...dd, 'rmi', 'docker.io/example/tools:1']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such image docker\.io\/example\/tools:1/);
});
