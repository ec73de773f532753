/**
 * kubectl logs, exec, attach, cp and port-forward against `k3s server` with its own node (real
 * containerd, inside a network namespace), through the API server's proxy to the kubelet API:
 * log options, exit codes, stdin end, a tty, kubectl's SPDY fallback, port-forward over the
 * WebSocket tunnel and over SPDY, and a user without pods/exec refused with a 403 Status.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../helpers/index.js';
import { BUSYBOX, canRunNodeCluster, startNodeCluster, type NodeCluster } from './node-cluster.js';

function podYaml(name: string, command: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${BUSYBOX}
    command: ["sh", "-c", ${JSON.stringify(command)}]
${extra}`;
}

async function runningPod(cluster: NodeCluster, yaml: string, name: string): Promise<void> {
  const created = await cluster.kubectl(['apply', '-f', '-'], { input: yaml });
  assert.equal(created.code, 0, created.stderr);
  await waitFor(`pod ${name} Running`, async () => (await cluster.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 90_000, 250);
}

test('kubectl logs, exec, attach, cp and port-forward reach the pod through the kubelet API', { skip: !canRunNodeCluster && 'needs root (containerd, netns)', timeout: 600_000 }, async (t) => {
  const cluster = await startNodeCluster(t, [], { label: 'stream' });
  const kubectl = cluster.kubectl;

  // A pod that prints numbered lines on stdout and one on stderr, then keeps ticking.
  await runningPod(cluster, podYaml('talker', 'for i in 1 2 3 4 5; do echo line-$i; done; echo oops >&2; while true; do echo tick; sleep 1; done'), 'talker');
  // Two ticks: stderr's "oops" comes through its own pipe and may be logged after the first tick,
  // but not after the second one a second later, so from here on the last line is a tick.
  await waitFor('first lines logged', async () => ((await kubectl(['logs', 'talker'])).stdout.match(/^tick$/gm) ?? []).length >= 2, 30_000, 250);

  await t.test('logs: whole, tail, timestamps, limit-bytes, since, a wrong container', async () => {
    const all = await kubectl(['logs', 'talker']);
    assert.equal(all.code, 0, all.stderr);
    // stdout and stderr reach the log through separate pipes: their relative order is not fixed.
    assert.match(all.stdout.replace('oops\n', ''), /^line-1\nline-2\nline-3\nline-4\nline-5\ntick\n/);
    assert.match(all.stdout, /^oops$/m);

    const tail = await kubectl(['logs', 'talker', '--tail=2']);
    assert.equal(tail.stdout.trimEnd().split('\n').length, 2, tail.stdout);

    const stamped = await kubectl(['logs', 'talker', '--timestamps', '--tail=1']);
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick\n$/);

    const limited = await kubectl(['logs', 'talker', '--limit-bytes=9']);
    assert.equal(limited.stdout, all.stdout.slice(0, 9));

    // Lines older than two seconds are left out; the ticking goes on.
    await new Promise((r) => setTimeout(r, 3000));
    const recent = await kubectl(['logs', 'talker', '--since=2s']);
    assert.doesNotMatch(recent.stdout, /line-1/);
    assert.match(recent.stdout, /tick/);

    const wrong = await kubectl(['logs', 'talker', '-c', 'nope']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /container nope is not valid for pod talker/);
  });

  await t.test('logs -f streams until the container exits; --previous shows the run before a restart', async () => {
    await runningPod(cluster, podYaml('short', 'echo run-start; sleep 3; echo run-end; exit 1'), 'short');
    const followed = await kubectl(['logs', '-f', 'short'], { timeoutMs: 60_000 });
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /run-start\n(.*\n)*run-end\n/);
    await waitFor('short restarted', async () => Number((await kubectl(['get', 'pod', 'short', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout) >= 1, 90_000, 500);
    const previous = await kubectl(['logs', 'short', '--previous']);
    assert.equal(previous.code, 0, previous.stderr);
    assert.match(previous.stdout, /run-start\nrun-end\n/);
  });

  await t.test('exec: output, exit codes, stdin to its end, a tty', async (t) => {
    const out = await kubectl(['exec', 'talker', '--', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
    assert.equal(out.code, 3);
    assert.equal(out.stdout, 'to-out\n');
    assert.match(out.stderr, /to-err/);
    assert.equal((await kubectl(['exec', 'talker', '--', 'true'])).code, 0);

    const cat = await kubectl(['exec', '-i', 'talker', '--', 'cat'], { input: 'hi\nthere\n', timeoutMs: 30_000 });
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'hi\nthere\n');

    const counted = await kubectl(['exec', '-i', 'talker', '--', 'wc', '-c'], { input: 'x'.repeat(200_000), timeoutMs: 30_000 });
    assert.equal(counted.stdout.trim(), '200000');

    // `script` gives kubectl a terminal, so -it asks for a tty.
    const tty = await cluster.netns.run('script', ['-qec', 'kubectl exec -it talker -- tty', '/dev/null'], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, KUBECACHEDIR: join(cluster.dir, 'kube-cache'), HOME: join(cluster.dir, 'kube-cache') },
      timeoutMs: 30_000,
    });
    assert.match(tty.stdout, /\/dev\/pts\/\d+/);
    // kubectl sends the terminal's size on the resize channel; the container's tty takes it.
    const sized = await cluster.netns.run('script', ['-qec', 'stty rows 33 cols 111; kubectl exec -it talker -- sh -c "sleep 1; stty size"', '/dev/null'], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, KUBECACHEDIR: join(cluster.dir, 'kube-cache'), HOME: join(cluster.dir, 'kube-cache') },
      timeoutMs: 30_000,
    });
    assert.match(sized.stdout, /33 111/, sized.stdout + sized.stderr);

    // Round trip of a trivial exec (kubectl start, API server, kubelet, containerd, runc exec).
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      assert.equal((await kubectl(['exec', 'talker', '--', 'true'])).code, 0);
      times.push(Date.now() - started);
    }
    times.sort((a, b) => a - b);
    t.diagnostic(`kubectl exec -- true: median ${times[2]} ms, min ${times[0]} ms (5 runs)`);

    const unknown = await kubectl(['exec', 'talker', '--', 'no-such-command']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no-such-command/);

    const missing = await kubectl(['exec', 'nope', '--', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pods "nope" not found/);
  });

  await t.test('exec over SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)', async () => {
    const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const out = await kubectl(['exec', 'talker', '--', 'sh', '-c', 'echo spdy; exit 4'], { env });
    assert.equal(out.code, 4);
    assert.equal(out.stdout, 'spdy\n');
    const cat = await kubectl(['exec', '-i', 'talker', '--', 'cat'], { input: 'over spdy\n', env, timeoutMs: 30_000 });
    assert.equal(cat.stdout, 'over spdy\n');
  });

  await t.test('attach shows the running output', async () => {
    const attached = await kubectl(['attach', 'talker'], { timeoutMs: 4000 });
    assert.match(attached.stdout, /tick/);
  });

  await t.test('kubectl run -i attaches to a new pod: its output, and stdin to its end', async () => {
    // Attach sees output from the moment it connects (as upstream): the pod waits a little first.
    const once = await kubectl(['run', 'once', '-i', '--rm', '--restart=Never', `--image=${BUSYBOX}`, '--', 'sh', '-c', 'sleep 3; echo from-run'], { timeoutMs: 120_000 });
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /from-run/);
    const piped = await kubectl(['run', 'piped', '-i', '--rm', '--restart=Never', `--image=${BUSYBOX}`, '--', 'sh', '-c', 'wc -l'], { input: 'a\nb\nc\n', timeoutMs: 120_000 });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /^3$/m);
  });

  await t.test('cp both ways', async () => {
    const local = join(cluster.dir, 'payload.txt');
    writeFileSync(local, 'copied in\n'.repeat(1000));
    const up = await kubectl(['cp', local, 'talker:/tmp/payload.txt']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await kubectl(['exec', 'talker', '--', 'wc', '-l', '/tmp/payload.txt'])).stdout.trim(), '1000 /tmp/payload.txt');
    const back = join(cluster.dir, 'back.txt');
    const down = await kubectl(['cp', 'talker:/tmp/payload.txt', back]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readFileSync(back, 'utf8'), 'copied in\n'.repeat(1000));
  });

  await t.test('port-forward to busybox httpd, over WebSocket and over SPDY', async (t) => {
    await runningPod(cluster, podYaml('web', 'mkdir -p /www && echo hello-from-pod > /www/index.html && httpd -f -p 8080 -h /www'), 'web');
    for (const [port, env] of [
      [18080, {}],
      [18081, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
    ] as const) {
      const forward = cluster.netns.spawn('kubectl', ['port-forward', 'pod/web', `${port}:8080`], {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig, KUBECACHEDIR: join(cluster.dir, 'kube-cache'), HOME: join(cluster.dir, 'kube-cache'), ...env },
      });
      await waitFor('port-forward listening', () => forward.output().includes(`Forwarding from 127.0.0.1:${port}`), 30_000, 100);
      for (let i = 0; i < 3; i++) {
        const got = await cluster.netns.run('curl', ['-s', '-m', '10', `http://127.0.0.1:${port}/`]);
        assert.equal(got.stdout, 'hello-from-pod\n', `request ${i + 1} (${JSON.stringify(env)}): ${got.stderr} ${forward.output()}`);
      }
      if (port === 18080) {
        // Throughput through kubectl -> API server -> kubelet -> containerd -> pod.
        assert.equal((await kubectl(['exec', 'web', '--', 'dd', 'if=/dev/zero', 'of=/www/big', 'bs=1048576', 'count=32'])).code, 0);
        const big = await cluster.netns.run('curl', ['-s', '-o', '/dev/null', '-m', '60', '-w', '%{size_download} %{time_total}', `http://127.0.0.1:${port}/big`]);
        const [size, seconds] = big.stdout.split(' ').map(Number);
        assert.equal(size, 32 * 1048576, big.stderr);
        t.diagnostic(`port-forward (WebSocket): 32 MiB in ${seconds!.toFixed(2)} s = ${(32 / seconds!).toFixed(1)} MiB/s`);
      }
      forward.child.kill('SIGTERM');
      await forward.exited;
    }
  });

  await t.test('a user without pods/exec is refused with 403; logs stay readable', async () => {
    const role = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: default}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jane-reads, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: jane}
`;
    assert.equal((await kubectl(['apply', '-f', '-'], { input: role })).code, 0);
    const logs = await kubectl(['--as=jane', 'logs', 'talker', '--tail=1']);
    assert.equal(logs.code, 0, logs.stderr);
    const exec = await kubectl(['--as=jane', 'exec', 'talker', '--', 'true']);
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, /pods "talker" is forbidden: User "jane" cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
    const forward = await kubectl(['--as=jane', 'port-forward', 'pod/talker', '18090:80'], { timeoutMs: 20_000 });
    assert.notEqual(forward.code, 0);
    assert.match(forward.stderr, /forbidden/);
  });
});
