/**
 * A real etcd face for one test: the SQLite Backend in a temp dir, the face on a unix socket
 * and a loopback TCP port, and helpers to run the real etcdctl (API v3) against it.
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openBackend, parseEndpoint, type Backend } from '../../../src/datastore/index.js';
import { EtcdFace, type EtcdFaceOptions } from '../../../src/etcd/index.js';
import { configureLogging } from '../../../src/log/index.js';
import { freePort, run, tempDir, type RunResult } from '../../helpers/index.js';

// Failures still log (warn and up); the info lines of every start and stop would drown them.
configureLogging({ debug: false, level: 'warn' });

export interface FaceFixture {
  readonly backend: Backend;
  readonly face: EtcdFace;
  readonly dir: string;
  readonly socketPath: string;
  /** unix:///.../kine.sock */
  readonly unixEndpoint: string;
  /** 127.0.0.1:<port> */
  readonly tcpEndpoint: string;
  /** Runs etcdctl against the unix endpoint (or `endpoint`), failing the test on a non-zero exit. */
  etcdctl(args: readonly string[], options?: { endpoint?: string; input?: string; allowFail?: boolean; timeoutMs?: number }): Promise<RunResult>;
}

export async function startFace(t: TestContext, options: Partial<EtcdFaceOptions> & { leaseCheckIntervalMs?: number } = {}): Promise<FaceFixture> {
  const dir = tempDir(t, 'k3s-etcd-face-');
  const backend = await openBackend(parseEndpoint(`sqlite://${join(dir, 'state.db')}`), {
    dataDir: dir,
    leaseCheckIntervalMs: options.leaseCheckIntervalMs ?? 200,
    compactIntervalMs: 0,
  });
  const socketPath = join(dir, 'server', 'kine.sock');
  const port = await freePort();
  const face = new EtcdFace(backend, { socketPath, tcpAddress: `127.0.0.1:${port}`, ...options });
  const stop = new AbortController();
  await face.start(stop.signal);
  t.after(async () => {
    stop.abort();
    await face.stopped();
    await backend.close();
  });
  const unixEndpoint = `unix://${socketPath}`;
  return {
    backend,
    face,
    dir,
    socketPath,
    unixEndpoint,
    tcpEndpoint: `127.0.0.1:${port}`,
    async etcdctl(args, o = {}) {
      const result = await run('etcdctl', ['--endpoints', o.endpoint ?? unixEndpoint, ...args], {
        env: { ...process.env, ETCDCTL_API: '3' },
        ...(o.input !== undefined ? { input: o.input } : {}),
        timeoutMs: o.timeoutMs ?? 20_000,
      });
      if (!o.allowFail && result.code !== 0) {
        throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
      }
      return result;
    },
  };
}
