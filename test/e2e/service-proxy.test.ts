/**
 * The service proxy end to end, root mode: a real node (k3s server with its agent, containerd,
 * CNI) in a network namespace, busybox httpd pods behind Services, traffic from another pod
 * (run through CRI ExecSync), from the node itself and from the host across the veth.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { containerdPaths, CriClient } from '../../src/agent/index.js';
import { run, waitFor } from '../helpers/index.js';
import { BUSYBOX, canRunNodeCluster, podExec, startNodeCluster, type NodeCluster } from './node-cluster.js';

const skip = canRunNodeCluster ? false : 'needs root (containerd, CNI, iptables)';

/** httpd with /index.html ("hello"), /cgi-bin/ip ("<client address> <pod name>"), and readiness switches. */
const WEB_SCRIPT = [
  'set -e',
  'mkdir -p /www/cgi-bin',
  'echo hello > /www/index.html',
  'echo ok > /www/ready.txt',
  // httpd listens on IPv6 too and reports "[::ffff:a.b.c.d]": the script prints the bare IPv4 address.
  "cat > /www/cgi-bin/ip <<'EOF'",
  '#!/bin/sh',
  'a=${REMOTE_ADDR#[}; a=${a%]}; a=${a#::ffff:}',
  String.raw`printf 'Content-Type: text/plain\n\n%s %s\n' "$a" "$(hostname)"`,
  'EOF',
  "cat > /www/cgi-bin/unready <<'EOF'",
  '#!/bin/sh',
  'rm -f /www/ready.txt',
  String.raw`printf 'Content-Type: text/plain\n\nunready\n'`,
  'EOF',
  'chmod +x /www/cgi-bin/*',
  'exec httpd -f -p 8080 -h /www',
].join('\n');

function deployment(name: string, replicas: number, container: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name, image: BUSYBOX, ...container }], ...extra } },
    },
  };
}

const manifests = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    deployment('web', 2, {
      command: ['sh', '-c', WEB_SCRIPT],
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/ready.txt', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
    }),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    // A UDP echo server: busybox has no UDP server applet here, so the host's socat runs in the pod's namespaces via chroot.
    deployment(
      'echo',
      1,
      { command: ['chroot', '/host', '/usr/bin/socat', 'UDP4-RECVFROM:5353,fork', 'SYSTEM:echo pong $(hostname)'], volumeMounts: [{ name: 'host', mountPath: '/host', readOnly: true }] },
      { volumes: [{ name: 'host', hostPath: { path: '/' } }] },
    ),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: 'default' }, spec: { selector: { app: 'echo' }, ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'default' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'client', image: BUSYBOX, command: ['sleep', '3600'] }] } },
  ],
};

/**
 * An HTTP GET from inside a pod. busybox nc, not wget: the static busybox wget crashes (SIGSEGV)
 * in these containers, nc does not.
 */
async function podGet(cluster: NodeCluster, pod: string, host: string, port: number, path: string, timeoutSeconds = 5): Promise<{ code: number; body: string; out: string }> {
  const r = await podExec(cluster, pod, ['sh', '-c', `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w ${timeoutSeconds} ${host} ${port}`], timeoutSeconds + 5);
  // Every body here is one line; httpd passes CGI headers through with or without a blank line after them.
  const body = r.out.trim().split(/\r?\n/).at(-1) ?? '';
  // nc's own exit status is not meaningful once the server closed the connection: judge by the answer.
  return { code: /^HTTP\/1\.[01] 200 /.test(r.out) ? 0 : r.code || 1, body, out: r.out };
}

/** Which pod answered /cgi-bin/ip through `host:port` from `pod`, and the client address it saw. */
async function whoAnswers(cluster: NodeCluster, pod: string, host: string, port: number): Promise<{ client: string; pod: string }> {
  const r = await podGet(cluster, pod, host, port, '/cgi-bin/ip');
  const m = /^(\d+\.\d+\.\d+\.\d+) (\S+)$/.exec(r.body);
  assert.ok(r.code === 0 && m, `no answer from ${host}:${port} in ${pod}: ${r.out}`);
  return { client: m[1]!, pod: m[2]! };
}

async function jsonpath(cluster: NodeCluster, args: string[], path: string): Promise<string> {
  const r = await cluster.kubectl([...args, '-o', `jsonpath=${path}`]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** Ready endpoint addresses of a Service, from its EndpointSlices. */
async function readyEndpoints(cluster: NodeCluster, service: string): Promise<string[]> {
  const r = await cluster.kubectl(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json']);
  const slices = JSON.parse(r.stdout) as { items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] };
  return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses).sort();
}

/** Every endpoint address of a Service (ready, terminating or not), from its EndpointSlices. */
async function allEndpoints(cluster: NodeCluster, service: string): Promise<string[]> {
  const r = await cluster.kubectl(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  const slices = JSON.parse(r.stdout) as { items: { endpoints?: { addresses: string[] }[] }[] };
  return slices.items.flatMap((s) => s.endpoints ?? []).flatMap((e) => e.addresses);
}

/** The pod sandboxes (ready or not) the node's runtime still holds for pods labelled app=`app`. */
async function sandboxesOf(cluster: NodeCluster, app: string): Promise<number> {
  const cri = new CriClient(containerdPaths(cluster.dataDir, { rootless: false }).socket);
  try {
    return (await cri.listPodSandbox({ labelSelector: { app } })).length;
  } finally {
    cri.close();
  }
}

/** How a TCP connect ends, from inside the node's namespace: "connected" or the errno (ECONNREFUSED...). */
async function tcpConnect(cluster: NodeCluster, host: string, port: number): Promise<string> {
  const script = `const s=require('net').connect(${port},'${host}');s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)});setTimeout(()=>{console.log('timeout');process.exit(0)},5000)`;
  return (await cluster.netns.run(process.execPath, ['-e', script])).stdout.trim();
}

/** The same from this (the host's) namespace. */
function hostConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    const timer = setTimeout(() => (s.destroy(), resolve('timeout')), 5000);
    s.on('connect', () => (clearTimeout(timer), s.destroy(), resolve('connected')));
    s.on('error', (e: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(e.code ?? String(e))));
  });
}

/** One UDP exchange from inside the node's namespace (Node's dgram: busybox nc has no UDP). */
async function udpAsk(cluster: NodeCluster, host: string, port: number, sourcePort = 0): Promise<string> {
  const script = `const d=require('dgram').createSocket('udp4');d.on('message',m=>{process.stdout.write(String(m));process.exit(0)});d.bind(${sourcePort},()=>d.send('ping',${port},'${host}'));setTimeout(()=>process.exit(3),2000)`;
  const r = await cluster.netns.run(process.execPath, ['-e', script]);
  return r.code === 0 ? r.stdout.trim() : `no answer (${r.code})`;
}

test('service proxy: ClusterIP, NodePort, readiness, affinity, traffic policy, hairpin, UDP, no endpoints, clean-up', { skip, timeout: 600_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'proxy' });
  const applied = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifests) });
  assert.equal(applied.code, 0, applied.stderr);
  try {
    await waitFor('web endpoints ready', async () => (await readyEndpoints(cluster, 'web')).length === 2, 120_000, 500);
    await waitFor('echo endpoint ready', async () => (await readyEndpoints(cluster, 'echo')).length === 1, 120_000, 500);
    await waitFor('client running', async () => (await jsonpath(cluster, ['get', 'pod', 'client'], '{.status.phase}')) === 'Running', 120_000, 500);
  } catch (err) {
    const pods = await cluster.kubectl(['get', 'pods,endpointslices,events', '-o', 'wide']);
    throw new Error(`${String(err)}\n${pods.stdout}\n${cluster.server.output().split('\n').slice(-40).join('\n')}`);
  }
  const clusterIP = await jsonpath(cluster, ['get', 'svc', 'web'], '{.spec.clusterIP}');
  const nodePort = Number(await jsonpath(cluster, ['get', 'svc', 'web'], '{.spec.ports[0].nodePort}'));
  const pods = (await jsonpath(cluster, ['get', 'pods', '-l', 'app=web'], '{range .items[*]}{.metadata.name}={.status.podIP}{"\\n"}{end}')).split('\n').map((l) => l.split('=') as [string, string]);
  const { nodeIP, hostIP } = cluster.netns;

  await t.test('another pod reaches the Service by its cluster IP', async () => {
    const r = await podGet(cluster, 'client', clusterIP, 80, '/');
    assert.equal(r.code, 0, r.out);
    assert.equal(r.body, 'hello');
  });

  await t.test('requests are balanced over both pods', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      seen.add((await whoAnswers(cluster, 'client', clusterIP, 80)).pod);
    }
    assert.deepEqual([...seen].sort(), pods.map(([name]) => name).sort());
  });

  await t.test('the node reaches the node port, and so does the host across the network', async () => {
    const fromNode = await cluster.netns.run('curl', ['-sS', '-m', '5', `http://127.0.0.1:${nodePort}/`]);
    assert.equal(fromNode.stdout.trim(), 'hello', fromNode.stderr);
    const fromHost = await run('curl', ['-sS', '-m', '5', `http://${nodeIP}:${nodePort}/`]);
    assert.equal(fromHost.stdout.trim(), 'hello', fromHost.stderr);
    const byClusterIP = await cluster.netns.run('curl', ['-sS', '-m', '5', `http://${clusterIP}/`]);
    assert.equal(byClusterIP.stdout.trim(), 'hello', byClusterIP.stderr);
  });

  await t.test('externalTrafficPolicy: Cluster masquerades the client address, Local keeps it', async () => {
    const cluster1 = await run('curl', ['-sS', '-m', '5', `http://${nodeIP}:${nodePort}/cgi-bin/ip`]);
    assert.notEqual(cluster1.stdout.split(' ')[0], hostIP, cluster1.stdout);
    const patched = await cluster.kubectl(['patch', 'svc', 'web', '-p', '{"spec":{"externalTrafficPolicy":"Local"}}']);
    assert.equal(patched.code, 0, patched.stderr);
    let last = '';
    try {
      await waitFor('client address preserved', async () => {
        const r = await run('curl', ['-sS', '-m', '5', `http://${nodeIP}:${nodePort}/cgi-bin/ip`]);
        last = r.stdout + r.stderr;
        return r.stdout.split(' ')[0] === hostIP;
      }, 20_000, 300);
    } catch (err) {
      throw new Error(`${String(err)}; last answer: ${last}\n${(await cluster.netns.run('iptables-save', [])).stdout}`);
    }
    await cluster.kubectl(['patch', 'svc', 'web', '-p', '{"spec":{"externalTrafficPolicy":"Cluster"}}']);
  });

  await t.test('sessionAffinity ClientIP sends one client to one pod', async () => {
    const patched = await cluster.kubectl(['patch', 'svc', 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']);
    assert.equal(patched.code, 0, patched.stderr);
    // Give the proxy its sync (rate-limited to one a second) before sampling.
    await waitFor('affinity rules', async () => (await cluster.netns.run('iptables-save', ['-t', 'nat'])).stdout.includes('--rcheck'), 20_000, 300);
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      seen.add((await whoAnswers(cluster, 'client', clusterIP, 80)).pod);
    }
    assert.equal(seen.size, 1, `one pod expected, saw ${[...seen].join(', ')}`);
    await cluster.kubectl(['patch', 'svc', 'web', '-p', '{"spec":{"sessionAffinity":"None"}}']);
  });

  await t.test('a pod reaches itself through its own Service (hairpin)', async () => {
    const [self, selfIP] = pods[0]!;
    let selfHits = 0;
    for (let i = 0; i < 30 && selfHits < 2; i++) {
      const answer = await whoAnswers(cluster, self, clusterIP, 80);
      if (answer.pod !== self) continue;
      selfHits++;
      // Masqueraded: with its own address as source the pod would answer itself directly and the connection would break.
      assert.notEqual(answer.client, selfIP);
    }
    assert.ok(selfHits > 0, 'no request landed on the pod itself');
  });

  await t.test('endpoints follow readiness: an unready pod gets no traffic', async () => {
    const [name, ip] = pods[0]!;
    const r = await cluster.netns.run('curl', ['-sS', '-m', '5', `http://${ip}:8080/cgi-bin/unready`]);
    assert.equal(r.stdout.trim(), 'unready', r.stderr);
    await waitFor('one ready endpoint', async () => (await readyEndpoints(cluster, 'web')).length === 1, 30_000, 300);
    await new Promise((res) => setTimeout(res, 1500)); // one proxy sync
    for (let i = 0; i < 8; i++) {
      assert.notEqual((await whoAnswers(cluster, 'client', clusterIP, 80)).pod, name, `request ${i} went to the unready pod`);
    }
  });

  await t.test('a UDP Service answers, and a client keeping its source port follows a replaced endpoint', async () => {
    const echoIP = await jsonpath(cluster, ['get', 'svc', 'echo'], '{.spec.clusterIP}');
    const first = await udpAsk(cluster, echoIP, 53, 40053);
    assert.match(first, /^pong echo-/);
    const oldPod = first.split(' ')[1]!;
    const deleted = await cluster.kubectl(['delete', 'pod', oldPod, '--wait=false']);
    assert.equal(deleted.code, 0, deleted.stderr);
    // Same source port: without the conntrack clean-up this flow would stick to the deleted pod.
    const answer = await waitFor('answer from the new pod', async () => {
      const a = await udpAsk(cluster, echoIP, 53, 40053);
      return a.startsWith('pong echo-') && !a.endsWith(oldPod) ? a : undefined;
      // Under the kernel's 30 s UDP timeout: without the clean-up the stale entry would outlive this wait.
    }, 25_000, 500);
    assert.match(answer, /^pong echo-/);
  });

  await t.test('a LoadBalancer ingress IP answers, and loadBalancerSourceRanges keeps other sources out', async () => {
    const patched = await cluster.kubectl(['patch', 'svc', 'web', '-p', JSON.stringify({ spec: { type: 'LoadBalancer', loadBalancerSourceRanges: ['192.0.2.0/24'] } })]);
    assert.equal(patched.code, 0, patched.stderr);
    // ServiceLB publishes the node's address; if it is not running in this build, write the same status.
    const published = await waitFor('ingress IP', async () => (await jsonpath(cluster, ['get', 'svc', 'web'], '{.status.loadBalancer.ingress[*].ip}')) || undefined, 15_000, 500).catch(() => '');
    if (!published.includes(nodeIP)) {
      const status = await cluster.kubectl(['patch', 'svc', 'web', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: nodeIP }] } } })]);
      assert.equal(status.code, 0, status.stderr);
    }
    await waitFor('firewall chain', async () => (await cluster.netns.run('iptables-save', ['-t', 'nat'])).stdout.includes('loadBalancerSourceRanges'), 20_000, 300);
    assert.equal(await hostConnect(nodeIP, 80), 'timeout', 'a source outside the ranges is dropped');
    const fromNode = await cluster.netns.run('curl', ['-sS', '-m', '5', `http://${nodeIP}:80/`]);
    assert.equal(fromNode.stdout.trim(), 'hello', `the node itself is let in: ${fromNode.stderr}`);
    await cluster.kubectl(['patch', 'svc', 'web', '-p', JSON.stringify({ spec: { loadBalancerSourceRanges: [`${hostIP}/32`] } })]);
    const fromHost = await waitFor('the host let in', async () => {
      const r = await run('curl', ['-sS', '-m', '3', `http://${nodeIP}:80/`]);
      return r.stdout.trim() === 'hello' ? r : undefined;
    }, 20_000, 300);
    assert.equal(fromHost.stdout.trim(), 'hello');
  });

  await t.test('scaled to zero, the Service refuses connections at once instead of hanging', async () => {
    const scaled = await cluster.kubectl(['scale', 'deployment', 'web', '--replicas=0']);
    assert.equal(scaled.code, 0, scaled.stderr);
    // The refusals must come from the proxy's rules for a Service without endpoints, so the
    // wait is for the pods to be gone and those rules written, not for a first refusal: a web
    // pod whose container was killed while its sandbox lives refuses connections itself (seen
    // before the REJECT rules were written), and once that sandbox is gone, a connection that
    // rules not yet resynced DNAT to it hangs (its SYN retries keep that DNAT in conntrack).
    const proxyState = async (): Promise<string> =>
      [
        ...cluster.server.output().split('\n').filter((l) => l.includes('"component":"proxy"')).slice(-20),
        (await cluster.netns.run('iptables-save', [])).stdout,
      ].join('\n');
    try {
      await waitFor('no endpoints', async () => (await allEndpoints(cluster, 'web')).length === 0, 60_000, 300);
      await waitFor('the web pods gone from the node', async () => (await sandboxesOf(cluster, 'web')) === 0, 60_000, 300);
      await waitFor('REJECT rules for the Service', async () => (await cluster.netns.run('iptables-save', ['-t', 'filter'])).stdout.includes('default/web:http has no endpoints'), 20_000, 300);
    } catch (err) {
      throw new Error(`${String(err)}\n${await proxyState()}`);
    }
    const started = Date.now();
    const refusals = {
      clusterIPFromNode: await tcpConnect(cluster, clusterIP, 80),
      nodePortFromNode: await tcpConnect(cluster, '127.0.0.1', nodePort),
      clusterIPFromPod: (await podGet(cluster, 'client', clusterIP, 80, '/', 10)).out.trim(),
      nodePortFromHost: await hostConnect(nodeIP, nodePort),
    };
    const took = Date.now() - started;
    const message = `${JSON.stringify(refusals)} after ${took} ms`;
    assert.equal(refusals.clusterIPFromNode, 'ECONNREFUSED', message);
    assert.equal(refusals.nodePortFromNode, 'ECONNREFUSED', message);
    assert.match(refusals.clusterIPFromPod, /refused/i, message);
    assert.equal(refusals.nodePortFromHost, 'ECONNREFUSED', message);
    assert.ok(took < 8000, `refusals took ${took} ms`);
  });

  await t.test('stopping k3s removes every chain and jump the proxy made', async () => {
    const before = (await cluster.netns.run('iptables-save', [])).stdout;
    assert.match(before, /KUBE-SERVICES/);
    // Pods first, so the runtime holds no sandbox (and no mount) once k3s and containerd are gone.
    await cluster.kubectl(['delete', 'deployments,pods', '--all', '--grace-period=0', '--force']);
    const cri = new CriClient(containerdPaths(cluster.dataDir, { rootless: false }).socket);
    try {
      await waitFor('no sandboxes', async () => (await cri.listPodSandbox()).length === 0, 60_000, 500);
    } finally {
      cri.close();
    }
    cluster.server.child.kill('SIGTERM');
    await cluster.server.exited;
    const after = (await cluster.netns.run('iptables-save', [])).stdout;
    assert.doesNotMatch(after, /KUBE-/, after);
  });
});

test('--disable-kube-proxy: the node runs without any service rules', { skip, timeout: 300_000 }, async (t) => {
  const cluster = await startNodeCluster(t, ['--disable-kube-proxy'], { label: 'noproxy' });
  const rules = (await cluster.netns.run('iptables-save', [])).stdout;
  assert.doesNotMatch(rules, /KUBE-/);
  assert.doesNotMatch(cluster.server.output(), /service proxy starting/);
});
