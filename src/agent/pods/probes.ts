/**
 * Liveness, readiness and startup probes (exec, httpGet, tcpSocket, grpc), one worker per running
 * container instance and probe kind, with upstream's timing fields and thresholds. Readiness
 * feeds the container's `ready`; a startup probe gates the other two and `started`; liveness
 * (or startup) failures past the threshold stop the container, which the pod worker then
 * restarts under the usual back-off. A result change asks the pod worker to sync again.
 */
import type { EventRecorder } from '../../client/index.js';
import { logger } from '../../log/index.js';
import type { CriClient } from '../cri/index.js';
import { sleep } from '../../supervisor/sleep.js';
import { grpcHealthCheck } from './grpc-probe.js';
import { httpGetCheck, resolvePort, tcpCheck } from './handlers.js';
import { stopWithPreStop } from './lifecycle.js';
import type { ContainerSpec, Pod, Probe } from './pod-types.js';

const log = logger('prober');
type Kind = 'liveness' | 'readiness' | 'startup';

export interface ProbeState {
  /** Readiness: undefined when the container has no readiness probe. */
  readonly ready?: boolean;
  /** Startup: undefined when the container has no startup probe. */
  readonly started?: boolean;
}

interface Worker {
  /** The container instance probed. */
  readonly id: string;
  readonly controller: AbortController;
  result: boolean | undefined;
}

/** Runs one probe; resolves with a failure message, or undefined on success. */
export async function runProbe(probe: Probe, c: ContainerSpec, containerId: string, podIP: string, cri: CriClient): Promise<string | undefined> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    const result = await cri.execSync(containerId, probe.exec.command, probe.timeoutSeconds ?? 1);
    return result.exitCode === 0 ? undefined : `command ${JSON.stringify(probe.exec.command)} exited with ${result.exitCode}: ${(result.stdout.toString() + result.stderr.toString()).trim().slice(0, 200)}`;
  }
  if (probe.httpGet) return httpGetCheck(probe.httpGet, resolvePort(c, probe.httpGet.port), probe.httpGet.host || podIP, timeoutMs);
  if (probe.tcpSocket) return tcpCheck(probe.tcpSocket.host || podIP, resolvePort(c, probe.tcpSocket.port), timeoutMs);
  if (probe.grpc) return grpcHealthCheck(podIP, probe.grpc.port, probe.grpc.service ?? '', timeoutMs);
  return 'probe has no handler (exec, httpGet, tcpSocket or grpc)';
}

export class Prober {
  readonly #workers = new Map<string, Worker>();

  constructor(
    private readonly cri: CriClient,
    private readonly events: EventRecorder,
    private readonly onChange: (podKey: string) => void,
  ) {}

  /** Makes sure a running container instance has its probe workers; stops workers of older instances. */
  ensure(pod: Pod, c: ContainerSpec, containerId: string, podIP: string): void {
    const uid = pod.metadata?.uid ?? '';
    for (const kind of ['startup', 'readiness', 'liveness'] as const) {
      const probe = kind === 'startup' ? c.startupProbe : kind === 'readiness' ? c.readinessProbe : c.livenessProbe;
      if (!probe) continue;
      const key = `${uid}/${c.name}/${kind}`;
      const existing = this.#workers.get(key);
      if (existing?.id === containerId) continue;
      existing?.controller.abort();
      const worker: Worker = { id: containerId, controller: new AbortController(), result: undefined };
      this.#workers.set(key, worker);
      void this.#loop(pod, c, containerId, podIP, kind, probe, worker);
    }
  }

  state(uid: string, c: ContainerSpec): ProbeState {
    const get = (kind: Kind): boolean | undefined => this.#workers.get(`${uid}/${c.name}/${kind}`)?.result;
    return {
      ...(c.readinessProbe ? { ready: get('readiness') === true } : {}),
      ...(c.startupProbe ? { started: get('startup') === true } : {}),
    };
  }

  /** Stops every worker of a pod (gone, or terminating). */
  forget(uid: string): void {
    for (const [key, worker] of this.#workers) {
      if (key.startsWith(`${uid}/`)) {
        worker.controller.abort();
        this.#workers.delete(key);
      }
    }
  }

  async #loop(pod: Pod, c: ContainerSpec, containerId: string, podIP: string, kind: Kind, probe: Probe, worker: Worker): Promise<void> {
    const signal = worker.controller.signal;
    const podKey = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const uid = pod.metadata?.uid ?? '';
    const period = (probe.periodSeconds ?? 10) * 1000;
    const successThreshold = kind === 'readiness' ? (probe.successThreshold ?? 1) : 1;
    const failureThreshold = probe.failureThreshold ?? 3;
    let successes = 0;
    let failures = 0;
    await sleep((probe.initialDelaySeconds ?? 0) * 1000, signal);
    while (!signal.aborted) {
      // Liveness and readiness wait for the startup probe to succeed.
      if (kind !== 'startup' && c.startupProbe && this.#workers.get(`${uid}/${c.name}/startup`)?.result !== true) {
        await sleep(Math.min(period, 1000), signal);
        continue;
      }
      let failure: string | undefined;
      try {
        failure = await runProbe(probe, c, containerId, podIP, this.cri);
      } catch (err) {
        failure = (err as Error).message;
      }
      if (signal.aborted) return;
      const before = worker.result;
      if (failure === undefined) {
        successes++;
        failures = 0;
        if (successes >= successThreshold) worker.result = true;
      } else {
        failures++;
        successes = 0;
        const label = kind[0]!.toUpperCase() + kind.slice(1);
        void this.events.event(pod, 'Warning', 'Unhealthy', `${label} probe failed: ${failure}`);
        if (failures >= failureThreshold) {
          worker.result = false;
          if (kind !== 'readiness') {
            void this.events.event(pod, 'Normal', 'Killing', `Container ${c.name} failed ${kind} probe, will be restarted`);
            log.info({ pod: podKey, container: c.name, kind }, 'probe failed past its threshold; stopping the container');
            await stopWithPreStop(pod, c, containerId, podIP, this.cri, this.events, pod.spec.terminationGracePeriodSeconds ?? 30).catch(() => undefined);
            this.onChange(podKey);
            return;
          }
        }
      }
      if (before !== worker.result) this.onChange(podKey);
      // A startup probe stops once it has succeeded.
      if (kind === 'startup' && worker.result === true) return;
      await sleep(period, signal);
    }
  }
}
