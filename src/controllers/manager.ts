/**
 * Runs the controllers inside `k3s server` as one Runnable: while this server holds the
 * controller-manager lease, it starts shared informers, waits for them to sync, and runs every
 * controller; when leadership is lost (or on shutdown) all of it stops together.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EventRecorder } from '../client/events.js';
import { SharedInformers } from '../client/shared-informers.js';
import type { ApiClient } from '../client/types.js';
import { logger } from '../log/index.js';
import type { Runnable } from '../supervisor/runnable.js';
import type { Controller } from './controller.js';
import { runWithLeaderElection } from './leader-election.js';

export interface ControllerManagerOptions {
  readonly leaseName?: string;
  readonly identity?: string;
  readonly leaseDurationSeconds?: number;
  readonly retryPeriodMs?: number;
  readonly renewDeadlineMs?: number;
  /** false: run at once without a lease (per-server work, e.g. rootless port forwarding). */
  readonly leaderElection?: boolean;
}

export class ControllerManager implements Runnable {
  readonly name: string;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ApiClient,
    private readonly makeControllers: () => Controller[],
    private readonly options: ControllerManagerOptions = {},
  ) {
    this.name = options.leaseName ?? 'kube-controller-manager';
  }

  start(signal: AbortSignal): Promise<void> {
    const log = logger(this.name);
    const identity = this.options.identity ?? `${hostname()}_${randomBytes(8).toString('hex')}`;
    if (this.options.leaderElection === false) {
      this.done = this.lead(signal, identity).catch((err: unknown) => log.error({ err }, 'controllers failed'));
      return Promise.resolve();
    }
    this.done = runWithLeaderElection(
      this.client,
      {
        name: this.name,
        identity,
        ...(this.options.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: this.options.leaseDurationSeconds } : {}),
        ...(this.options.retryPeriodMs !== undefined ? { retryPeriodMs: this.options.retryPeriodMs } : {}),
        ...(this.options.renewDeadlineMs !== undefined ? { renewDeadlineMs: this.options.renewDeadlineMs } : {}),
        onError: (err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'leader election'),
      },
      signal,
      (leading) => this.lead(leading, identity),
    ).catch((err: unknown) => log.error({ err }, 'controller manager failed'));
    return Promise.resolve();
  }

  /** Runs every controller until `leading` aborts. */
  private async lead(leading: AbortSignal, identity: string): Promise<void> {
    const log = logger(this.name);
    // Every informer, queue and watch of every controller listens on this one signal.
    setMaxListeners(0, leading);
    log.info({ identity }, 'leading: starting controllers');
    const informers = new SharedInformers(this.client, { onError: (err) => log.debug({ err: String(err) }, 'informer retry') });
    const controllers = this.makeControllers();
    for (const controller of controllers) {
      const clog = logger(controller.name);
      controller.setup({
        client: this.client,
        informers,
        events: new EventRecorder(this.client, { component: controller.name }, (err) => clog.debug({ err: String(err) }, 'event not recorded')),
        log: clog,
        now: () => new Date(),
      });
    }
    informers.start(leading);
    await informers.waitForSync();
    await Promise.all(controllers.map((c) => c.run(leading).catch((err: unknown) => logger(c.name).error({ err }, 'controller stopped with an error'))));
    await informers.stopped();
    log.info('stopped leading');
  }

  stopped(): Promise<void> {
    return this.done;
  }
}
