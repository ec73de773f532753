/**
 * Keeps rootlesskit's port forwards equal to what the cluster wants exposed on the host: the
 * API server port always, and later the ports of LoadBalancer/NodePort Services. Runs in the
 * child (inside the namespaces) and talks to rootlesskit over $ROOTLESSKIT_STATE_DIR/api.sock.
 * Every forward of this rootlesskit instance is ours, so forwards nobody wants any more (for
 * example from before a restart) are removed: the set is resynced, not appended to.
 */
import { join } from 'node:path';
import { RootlessKitApiError, RootlessKitClient, type PortProto, type PortSpec } from '../../rootlesskit/index.js';
import { logger, type Logger } from '../log/index.js';
import type { Runnable } from '../supervisor/index.js';

export interface Forward {
  readonly proto: 'tcp' | 'udp';
  /** The port inside the namespaces. */
  readonly port: number;
  /** Host address, undefined = all addresses. */
  readonly hostIP?: string;
  /** Why it exists, for logs and errors (e.g. "API server", "service default/web"). */
  readonly owner: string;
}

export interface ForwardFailure {
  readonly forward: Forward;
  readonly error: Error;
}

/**
 * The host port for a port inside: ports below the host's unprivileged port start (1024 by
 * default) cannot be bound by a user, so they move to 10000+port, as upstream k3s does.
 */
export function hostPortFor(port: number, unprivilegedPortStart: number): number {
  return port < unprivilegedPortStart ? 10000 + port : port;
}

export { UNPRIVILEGED_PORT_START_ENV } from './roles.js';

export class PortForwarder implements Runnable {
  readonly name = 'rootless-ports';
  readonly #client: RootlessKitClient;
  #desired: Forward[];
  #log: Logger | undefined;
  #running: Promise<void> = Promise.resolve();
  /** The first failure of the initial forwards, once they are done (undefined: all made). */
  #initial: Promise<Error | undefined> = Promise.resolve(undefined);

  constructor(
    stateDir: string,
    initial: readonly Forward[],
    /** The host's net.ipv4.ip_unprivileged_port_start: lower ports move to 10000+port. */
    readonly unprivilegedPortStart: number,
  ) {
    this.#client = new RootlessKitClient(join(stateDir, 'api.sock'));
    this.#desired = [...initial];
  }

  /**
   * Asks rootlesskit for the initial forwards (the API server port) without waiting for them:
   * they are made while the control plane starts, off the start-up's critical path. The
   * `confirmation` runnable, started after the control plane, fails start-up if they could not be made.
   */
  start(signal: AbortSignal): Promise<void> {
    this.#log = logger('rootless-ports');
    const initial = this.reconcile();
    this.#running = initial.then(() => undefined, () => undefined);
    this.#initial = initial.then(
      (failures) => failures[0]?.error,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    signal.addEventListener('abort', () => void this.#removeAll(), { once: true });
    return Promise.resolve();
  }

  /** Fails start-up, with the reason and the fix, when an initial forward (the API server port) could not be made. */
  readonly confirmation: Runnable = {
    name: 'rootless-ports-initial',
    start: async () => {
      const error = await this.#initial;
      if (error) throw error;
    },
  };

  /**
   * Replaces the wanted set (called as Services change) and reconciles; resolves with the
   * forwards that could not be added (each with a message saying why and what to do).
   */
  setForwards(forwards: readonly Forward[]): Promise<ForwardFailure[]> {
    this.#desired = [...forwards];
    // Serialize reconciles so two quick changes never race on the same port.
    const next = this.#running.then(() => this.reconcile());
    this.#running = next.then(() => undefined, () => undefined);
    return next;
  }

  /** Host port a forward lands on. */
  hostPort(forward: Pick<Forward, 'port'>): number {
    return hostPortFor(forward.port, this.unprivilegedPortStart);
  }

  async reconcile(): Promise<ForwardFailure[]> {
    const failures: ForwardFailure[] = [];
    const wanted = new Map(this.#desired.map((f) => [key(f.proto, f.hostIP, this.hostPort(f), f.port), f]));
    const current = await this.#client.listPorts();
    for (const status of current) {
      const k = key(protoOf(status.spec.proto), status.spec.parentIP, status.spec.parentPort, status.spec.childPort);
      if (wanted.has(k)) wanted.delete(k);
      else {
        await this.#client.removePort(status.id);
        this.#log?.info({ port: status.spec.parentPort, proto: status.spec.proto }, 'removed stale port forward');
      }
    }
    for (const forward of wanted.values()) {
      const spec: PortSpec = {
        proto: forward.proto as PortProto,
        parentPort: this.hostPort(forward),
        childPort: forward.port,
        ...(forward.hostIP && forward.hostIP !== '0.0.0.0' ? { parentIP: forward.hostIP } : {}),
      };
      try {
        await this.#client.addPort(spec);
      } catch (err) {
        // One port that cannot be had must not keep the others from being forwarded.
        const error = new Error(describeAddFailure(forward, spec, err), { cause: err });
        this.#log?.warn({ hostPort: spec.parentPort, owner: forward.owner }, error.message);
        failures.push({ forward, error });
        continue;
      }
      this.#log?.info({ hostPort: spec.parentPort, port: forward.port, proto: forward.proto, owner: forward.owner }, 'forwarding host port into the rootless namespace');
    }
    return failures;
  }

  async #removeAll(): Promise<void> {
    try {
      for (const status of await this.#client.listPorts()) await this.#client.removePort(status.id);
    } catch {
      // rootlesskit is going away with us; its forwards die with it
    }
  }
}

function protoOf(proto: string): 'tcp' | 'udp' {
  return proto.startsWith('udp') ? 'udp' : 'tcp';
}

function key(proto: string, hostIP: string | undefined, hostPort: number, port: number): string {
  return `${protoOf(proto)}/${hostIP && hostIP !== '0.0.0.0' ? hostIP : '*'}:${hostPort}->${port}`;
}

function describeAddFailure(forward: Forward, spec: PortSpec, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RootlessKitApiError && /address already in use/.test(message)) {
    return `host port ${spec.parentPort}/${forward.proto} for the ${forward.owner} is already in use on the host: stop what listens there, or choose another port (for the API server: --https-listen-port)`;
  }
  return `cannot forward host port ${spec.parentPort}/${forward.proto} for the ${forward.owner}: ${message}`;
}
