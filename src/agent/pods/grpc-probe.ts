/**
 * The gRPC probe: one grpc.health.v1.Health/Check call to host:port over plain HTTP/2, as the
 * kubelet makes it. The two messages are tiny (a string field, an enum field), so they are
 * encoded by hand rather than loading a .proto at run time. SERVING passes; any other status,
 * a failed connection or the deadline fails with upstream's wording.
 */
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** HealthCheckRequest { string service = 1; } */
export function encodeHealthRequest(service: string): Buffer {
  if (!service) return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/** HealthCheckResponse { ServingStatus status = 1; }: the status number (0 when absent). */
export function decodeHealthResponse(buf: Buffer): number {
  let i = 0;
  let status = 0;
  const read = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated HealthCheckResponse');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const tag = read();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const value = read();
      if (field === 1) status = value;
    } else if (wire === 2) {
      const length = read();
      i += length;
    } else if (wire === 1) {
      i += 8;
    } else if (wire === 5) {
      i += 4;
    } else {
      throw new Error(`unexpected wire type ${wire} in HealthCheckResponse`);
    }
  }
  return status;
}

/** Resolves with a failure message, or undefined when the service reports SERVING. */
export function grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<string | undefined> {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const client = new Client(target, credentials.createInsecure());
  return new Promise<string | undefined>((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (s: string) => encodeHealthRequest(s),
      (b: Buffer) => decodeHealthResponse(b),
      service,
      new Metadata(),
      { deadline: new Date(Date.now() + timeoutMs) },
      (err: ServiceError | null, value?: number) => {
        if (err) {
          if (err.code === GrpcStatus.DEADLINE_EXCEEDED) resolve(`timeout: health rpc did not complete within ${timeoutMs / 1000}s`);
          else if (err.code === GrpcStatus.UNAVAILABLE) resolve(`failed to connect service "${target}" within ${timeoutMs / 1000}s: ${err.details}`);
          else if (err.code === GrpcStatus.UNIMPLEMENTED) resolve(`error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}`);
          else resolve(`error: health rpc probe failed: ${err.details || `gRPC status ${err.code}`}`);
          return;
        }
        const code = value ?? 0;
        resolve(code === 1 ? undefined : `service unhealthy (responded with "${STATUS_NAMES[code] ?? code}")`);
      },
    );
  }).finally(() => client.close());
}
