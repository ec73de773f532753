/**
 * The gRPC probe against a real grpc-js server on loopback implementing
 * grpc.health.v1.Health/Check: SERVING passes, other statuses, unknown services, a server
 * without the health service, a closed port and a server too slow for the timeout fail with
 * the probe's messages.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { decodeHealthResponse, encodeHealthRequest, grpcHealthCheck } from '../../../src/agent/pods/grpc-probe.js';
import { freePort } from '../../helpers/index.js';

/** HealthCheckRequest decoded by the server side (an object: grpc-js treats a falsy request as none). */
function decodeRequest(buf: Buffer): { service: string } {
  if (buf.length === 0) return { service: '' };
  assert.equal(buf[0], 0x0a);
  return { service: buf.subarray(2, 2 + buf[1]!).toString('utf8') };
}

async function startHealthServer(t: { after(fn: () => unknown): void }, statuses: Record<string, number>, delayMs = 0, withHealth = true): Promise<number> {
  const server = new Server();
  if (withHealth) {
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (r: { service: string }) => encodeHealthRequest(r.service),
          requestDeserialize: decodeRequest,
          responseSerialize: (n: number) => (n === 0 ? Buffer.alloc(0) : Buffer.from([0x08, n])),
          responseDeserialize: decodeHealthResponse,
        },
      },
      {
        Check: (call: ServerUnaryCall<{ service: string }, number>, callback: sendUnaryData<number>) => {
          const status = statuses[call.request.service];
          setTimeout(() => (status === undefined ? callback({ code: GrpcStatus.NOT_FOUND, details: 'unknown service' }) : callback(null, status)), delayMs);
        },
      },
    );
  }
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  t.after(() => server.forceShutdown());
  return port;
}

test('grpc probe: SERVING passes, NOT_SERVING and unknown services fail', async (t) => {
  const port = await startHealthServer(t, { '': 1, db: 2, cache: 0 });
  assert.equal(await grpcHealthCheck('127.0.0.1', port, '', 1000), undefined);
  assert.equal(await grpcHealthCheck('127.0.0.1', port, 'db', 1000), 'service unhealthy (responded with "NOT_SERVING")');
  assert.equal(await grpcHealthCheck('127.0.0.1', port, 'cache', 1000), 'service unhealthy (responded with "UNKNOWN")');
  assert.match((await grpcHealthCheck('127.0.0.1', port, 'other', 1000)) ?? '', /^error: health rpc probe failed: unknown service/);
});

test('grpc probe: no health service, a closed port, and a slow server fail with reasons', async (t) => {
  const bare = await startHealthServer(t, {}, 0, false);
  assert.match((await grpcHealthCheck('127.0.0.1', bare, '', 1000)) ?? '', /does not implement the grpc health protocol/);
  const closed = await freePort();
  assert.match((await grpcHealthCheck('127.0.0.1', closed, '', 1000)) ?? '', new RegExp(`^failed to connect service "127\\.0\\.0\\.1:${closed}" within 1s`));
  const slow = await startHealthServer(t, { '': 1 }, 1500);
  assert.equal(await grpcHealthCheck('127.0.0.1', slow, '', 500), 'timeout: health rpc did not complete within 0.5s');
});

test('grpc probe messages: the request carries the service name, the response status is read past other fields', () => {
  assert.deepEqual([...encodeHealthRequest('svc')], [0x0a, 3, 0x73, 0x76, 0x63]);
  assert.equal(encodeHealthRequest('').length, 0);
  // An unknown length-delimited field 2 before status = SERVING.
  assert.equal(decodeHealthResponse(Buffer.from([0x12, 2, 0x61, 0x62, 0x08, 1])), 1);
  assert.equal(decodeHealthResponse(Buffer.alloc(0)), 0);
});
