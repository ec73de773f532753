/**
 * The rootlesskit API over $STATE/api.sock (HTTP/1.1 on a unix socket): instance info and the
 * port forwards of the port driver. Errors carry rootlesskit's own message ("conflict with ID 1",
 * "unknown id: 99", privileged ports, bad proto).
 */
import { request } from 'node:http';

export interface RootlessKitInfo {
  readonly apiVersion: string;
  readonly version: string;
  readonly stateDir: string;
  readonly childPID: number;
  readonly networkDriver?: { readonly driver: string; readonly dns?: string[]; readonly childIP?: string };
  readonly portDriver?: { readonly driver: string; readonly protos?: string[]; readonly disallowLoopbackChildIP?: boolean };
}

export type PortProto = 'tcp' | 'tcp4' | 'tcp6' | 'udp' | 'udp4' | 'udp6' | 'sctp' | 'sctp4' | 'sctp6';

export interface PortSpec {
  readonly proto: PortProto;
  /** Host address to bind; absent binds every address. */
  readonly parentIP?: string;
  readonly parentPort: number;
  readonly childIP?: string;
  readonly childPort: number;
}

export interface PortStatus {
  readonly id: number;
  readonly spec: PortSpec;
}

export class RootlessKitApiError extends Error {
  override readonly name = 'RootlessKitApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class RootlessKitClient {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 5000,
  ) {}

  info(): Promise<RootlessKitInfo> {
    return this.call<RootlessKitInfo>('GET', '/v1/info');
  }

  async listPorts(): Promise<PortStatus[]> {
    // rootlesskit answers `null` when there are none.
    return (await this.call<PortStatus[] | null>('GET', '/v1/ports')) ?? [];
  }

  addPort(spec: PortSpec): Promise<PortStatus> {
    return this.call<PortStatus>('POST', '/v1/ports', spec);
  }

  async removePort(id: number): Promise<void> {
    await this.call<unknown>('DELETE', `/v1/ports/${id}`);
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              let message = text.trim() || `HTTP ${status}`;
              try {
                const parsed = JSON.parse(text) as { message?: string };
                if (parsed.message) message = parsed.message;
              } catch {
                // not JSON: keep the text
              }
              reject(new RootlessKitApiError(status, `rootlesskit ${method} ${path}: ${message}`));
              return;
            }
            if (text.trim() === '') {
              resolve(undefined as T);
              return;
            }
            try {
              resolve(JSON.parse(text) as T);
            } catch (err) {
              reject(new Error(`rootlesskit ${method} ${path}: invalid JSON answer`, { cause: err }));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`rootlesskit ${method} ${path}: no answer within ${this.timeoutMs} ms on ${this.socketPath}`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
