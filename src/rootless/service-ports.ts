/**
 * In rootless mode, Services reachable from outside the node must be reachable from the host:
 * every port of a LoadBalancer Service and every nodePort of a NodePort or LoadBalancer Service
 * is forwarded from the host through rootlesskit (ports below the host's unprivileged start move
 * to 10000+port, as upstream). Forwards follow the Services as they change; each Service gets an
 * event saying where it is reachable, or why a port could not be forwarded.
 */
import type { KubeObject } from '../api/types.js';
import { objectKey, type Informer } from '../client/informer.js';
import type { Controller, ControllerContext } from '../controllers/controller.js';
import type { Forward, PortForwarder } from './port-forwarder.js';

const SERVICES = { group: '', version: 'v1', resource: 'services' } as const;

type Service = KubeObject & { spec?: { type?: string; ports?: { port: number; nodePort?: number; protocol?: string; name?: string }[] } };

/** The forwards a Service asks for on the host. */
export function serviceForwards(svc: Service): Forward[] {
  const type = svc.spec?.type ?? 'ClusterIP';
  if (type !== 'LoadBalancer' && type !== 'NodePort') return [];
  const owner = `service ${svc.metadata?.namespace}/${svc.metadata?.name}`;
  const out: Forward[] = [];
  for (const p of svc.spec?.ports ?? []) {
    const proto = (p.protocol ?? 'TCP').toUpperCase() === 'UDP' ? 'udp' : 'tcp';
    if ((p.protocol ?? 'TCP').toUpperCase() === 'SCTP') continue;
    if (type === 'LoadBalancer') out.push({ proto, port: p.port, owner });
    if (p.nodePort) out.push({ proto, port: p.nodePort, owner });
  }
  return out;
}

export class ServicePortsController implements Controller {
  readonly name = 'rootless-service-ports';
  private ctx!: ControllerContext;
  private services!: Informer<Service>;
  private dirty = true;
  private wake: (() => void) | undefined;
  /** What each Service was last told, so events are not repeated. */
  private readonly announced = new Map<string, string>();

  /** `fixed`: forwards that always exist (the API server port). */
  constructor(
    private readonly forwarder: PortForwarder,
    private readonly fixed: readonly Forward[],
  ) {}

  setup(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.services = ctx.informers.for<Service>(SERVICES);
    const changed = (): void => {
      this.dirty = true;
      this.wake?.();
    };
    this.services.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
    while (!signal.aborted) {
      if (this.dirty) {
        this.dirty = false;
        try {
          await this.sync();
        } catch (err) {
          this.ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'syncing service port forwards failed; retrying');
          this.dirty = true;
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
      }
      // All changes since the last sync are applied in one go: the set, not a sequence of edits.
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private async sync(): Promise<void> {
    const services = this.services.list();
    const forwards = [...this.fixed, ...services.flatMap(serviceForwards)];
    const failures = await this.forwarder.setForwards(forwards);
    for (const svc of services) {
      const mine = serviceForwards(svc);
      if (mine.length === 0) continue;
      const failed = failures.filter((f) => mine.includes(f.forward));
      const failedForwards = new Set(failed.map((f) => f.forward));
      const where = mine.filter((f) => !failedForwards.has(f)).map((f) => `${this.forwarder.hostPort(f)}/${f.proto}->${f.port}`);
      const moved = mine.filter((f) => !failedForwards.has(f) && this.forwarder.hostPort(f) !== f.port);
      const why = moved.length > 0
        ? `; ${moved.map((f) => `port ${f.port} is forwarded from ${this.forwarder.hostPort(f)}`).join(', ')} because ports below the host's net.ipv4.ip_unprivileged_port_start (${this.forwarder.unprivilegedPortStart}) cannot be bound by a user (10000+port, as upstream k3s; lower that sysctl on the host to keep the port)`
        : '';
      const message = failed.length > 0 ? failed.map((f) => f.error.message).join('; ') : `reachable from the host on 127.0.0.1 (host port -> port): ${where.join(', ')}${why}`;
      const key = objectKey(svc);
      if (this.announced.get(key) === message) continue;
      this.announced.set(key, message);
      void this.ctx.events.event(svc, failed.length > 0 ? 'Warning' : 'Normal', failed.length > 0 ? 'RootlessPortForwardFailed' : 'RootlessPortForward', message);
    }
  }
}
