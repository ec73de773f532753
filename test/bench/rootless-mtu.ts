/**
 * Benchmark: slirp4netns throughput with MTU 1500 (our default, upstream k3s's too) against
 * 65520 (what rootlesskit picks when no MTU is given), in both directions that cross slirp4netns:
 *   egress  - a process inside the namespace sends to a server on the host's loopback (through
 *             the gateway 10.x.0.2; needs K3S_ROOTLESS_DISABLE_HOST_LOOPBACK=false),
 *   ingress - the host sends to a server inside through the slirp4netns port driver.
 * (The builtin port driver bypasses slirp4netns's TCP stack, so MTU does not affect it.)
 * Run as root: node dist/test/bench/rootless-mtu.js [MiB per run] [runs]
 */
import { once } from 'node:events';
import { chownSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startRootlessKit } from '../../rootlesskit/index.js';
import { freePort } from '../helpers/index.js';
import { createTestUser } from '../helpers/users.js';
import { afterHooks } from './lib/after-hooks.js';

const MIB = 1024 * 1024;
const mib = Number(process.argv[2] ?? 256);
const runs = Number(process.argv[3] ?? 3);
const hooks = afterHooks();
const t = hooks.t;

// A sender and a sink, both tiny, run with node inside the namespace.
const SENDER = `const s=require('net').connect(+process.argv[2],process.argv[1],()=>{const b=Buffer.alloc(1<<16);let n=+process.argv[3];const w=()=>{while(n>0){n-=b.length;if(!s.write(b))return s.once('drain',w)}s.end()};w()});`;
const SINK = `require('net').createServer(c=>{let n=0,t0=0;c.on('data',d=>{if(!t0)t0=process.hrtime.bigint();n+=d.length});c.on('end',()=>{const ms=Number(process.hrtime.bigint()-t0)/1e6;c.end(JSON.stringify({n,ms}))})}).listen(+process.argv[1],'0.0.0.0',()=>console.log('sink ready'));`;

async function hostSink(): Promise<{ port: number; result: Promise<{ n: number; ms: number }> }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const result = new Promise<{ n: number; ms: number }>((resolve) => {
    server.once('connection', (c) => {
      let n = 0;
      let t0 = 0n;
      c.on('data', (d: Buffer) => {
        if (!t0) t0 = process.hrtime.bigint();
        n += d.length;
      });
      c.on('end', () => {
        resolve({ n, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
        server.close();
      });
    });
  });
  return { port: (server.address() as AddressInfo).port, result };
}

async function measure(mtu: number, user: ReturnType<typeof createTestUser>): Promise<{ egress: number[]; ingress: number[] }> {
  const sinkPort = 5201;
  const kit = await startRootlessKit(
    {
      stateDir: join(user.home, `rk-${mtu}`),
      net: 'slirp4netns',
      mtu,
      cidr: '10.41.0.0/16',
      disableHostLoopback: false,
      portDriver: 'slirp4netns',
      copyUpDirs: ['/etc', '/run'],
      pidns: true,
      command: [process.execPath, '-e', SINK, String(sinkPort)],
    },
    { wrapper: user.runAs, onOutput: () => undefined },
  );
  try {
    const egress: number[] = [];
    const ingress: number[] = [];
    const hostPort = await freePort();
    await kit.client.addPort({ proto: 'tcp', parentIP: '127.0.0.1', parentPort: hostPort, childPort: sinkPort });
    for (let i = 0; i < runs; i++) {
      const sink = await hostSink();
      const { spawn } = await import('node:child_process');
      const childPid = kit.info.childPID;
      const sender = spawn('nsenter', ['-t', String(childPid), '-U', '--preserve-credentials', '-n', '-m', process.execPath, '-e', SENDER, '10.41.0.2', String(sink.port), String(mib * MIB)], { stdio: 'ignore' });
      const r = await sink.result;
      await once(sender, 'exit');
      egress.push(r.n / MIB / (r.ms / 1000));

      const socket = connect({ host: '127.0.0.1', port: hostPort });
      await once(socket, 'connect');
      const buf = Buffer.alloc(1 << 16);
      let left = mib * MIB;
      while (left > 0) {
        left -= buf.length;
        if (!socket.write(buf)) await once(socket, 'drain');
      }
      socket.end();
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      await once(socket, 'close');
      const res = JSON.parse(answer) as { n: number; ms: number };
      ingress.push(res.n / MIB / (res.ms / 1000));
    }
    return { egress, ingress };
  } finally {
    await kit.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

try {
  const user = createTestUser(t, 'k3sbench');
  writeFileSync(join(user.home, '.keep'), '');
  chownSync(join(user.home, '.keep'), user.uid, user.gid);
  const results = new Map<number, { egress: number[]; ingress: number[] }>();
  for (const mtu of [1500, 65520]) results.set(mtu, await measure(mtu, user));
  const a = results.get(1500)!;
  const b = results.get(65520)!;
  console.log(`\n${mib} MiB per transfer, median of ${runs} runs, MiB/s\n`);
  console.log('| direction | MTU 1500 | MTU 65520 | 65520 / 1500 |');
  console.log('|---|---|---|---|');
  for (const dir of ['egress', 'ingress'] as const) {
    const x = median(a[dir]);
    const y = median(b[dir]);
    console.log(`| ${dir === 'egress' ? 'namespace -> host (slirp4netns)' : 'host -> namespace (slirp4netns port driver)'} | ${x.toFixed(0)} | ${y.toFixed(0)} | ${(y / x).toFixed(2)}x |`);
  }
} finally {
  await hooks.run();
}
