/**
 * The controllers and the scheduler of `k3s server`, as one Runnable: each group runs under its
 * own leader lease (kube-controller-manager, kube-scheduler) on the loopback client, so two
 * servers sharing a datastore never run them twice.
 */
import { readFileSync } from 'node:fs';
import { withFieldManager } from '../client/field-manager.js';
import type { ApiClient } from '../client/types.js';
import { ClusterRoleAggregationController } from '../controllers/clusterrole-aggregation.js';
import { CronJobController } from '../controllers/cronjob.js';
import { DaemonSetController } from '../controllers/daemonset.js';
import { DeploymentController } from '../controllers/deployment.js';
import { DisruptionController } from '../controllers/disruption.js';
import { EndpointsController } from '../controllers/endpoints.js';
import { GarbageCollector } from '../controllers/garbage-collector.js';
import { JobController } from '../controllers/job.js';
import { ControllerManager } from '../controllers/manager.js';
import { NamespaceController } from '../controllers/namespace.js';
import { NodeLifecycleController } from '../controllers/node-lifecycle.js';
import { PodGarbageCollector } from '../controllers/pod-gc.js';
import { ReplicaSetController } from '../controllers/replicaset.js';
import { ResourceQuotaController } from '../controllers/resource-quota.js';
import { ServiceAccountController } from '../controllers/service-account.js';
import { ServiceLbController } from '../controllers/servicelb.js';
import { StatefulSetController } from '../controllers/statefulset.js';
import { ServicePortsController, type Forward, type PortForwarder } from '../rootless/index.js';
import { Scheduler } from '../scheduler/index.js';
import type { Runnable } from './runnable.js';

export interface ControllersOptions {
  /** The API client, available once the API server runs (started before this). */
  readonly client: () => ApiClient;
  /** The server CA certificate file, published to every namespace as kube-root-ca.crt. */
  readonly serverCaFile: string;
  /** Rootless: forward LoadBalancer and NodePort Service ports from the host (per server, not leader-elected). */
  readonly rootlessPorts?: { readonly forwarder: PortForwarder; readonly fixed: readonly Forward[] };
  /** ServiceLB (absent with --disable servicelb): LoadBalancer Services get node addresses. */
  readonly serviceLB?: { readonly rootless: boolean };
}

export class Controllers implements Runnable {
  readonly name = 'controllers';
  private managers: ControllerManager[] = [];

  constructor(private readonly options: ControllersOptions) {}

  async start(signal: AbortSignal): Promise<void> {
    const loopback = this.options.client();
    // Writes carry upstream's manager names, so managedFields say which component owns what.
    const client = withFieldManager(loopback, 'kube-controller-manager');
    const schedulerClient = withFieldManager(loopback, 'kube-scheduler');
    const caPem = readFileSync(this.options.serverCaFile, 'utf8');
    this.managers = [
      new ControllerManager(
        client,
        () => [
          new NamespaceController(),
          new ServiceAccountController(caPem),
          new GarbageCollector(),
          new DeploymentController(),
          new ReplicaSetController(),
          new StatefulSetController(),
          new DaemonSetController(),
          new JobController(),
          new CronJobController(),
          new EndpointsController(),
          new NodeLifecycleController(),
          new PodGarbageCollector(),
          new DisruptionController(),
          new ResourceQuotaController(),
          new ClusterRoleAggregationController(),
          ...(this.options.serviceLB ? [new ServiceLbController(this.options.serviceLB)] : []),
        ],
        { leaseName: 'kube-controller-manager' },
      ),
      new ControllerManager(schedulerClient, () => [new Scheduler()], { leaseName: 'kube-scheduler' }),
    ];
    const ports = this.options.rootlessPorts;
    if (ports) this.managers.push(new ControllerManager(loopback, () => [new ServicePortsController(ports.forwarder, ports.fixed)], { leaseName: 'rootless-ports', leaderElection: false }));
    for (const m of this.managers) await m.start(signal);
  }

  async stopped(): Promise<void> {
    await Promise.all(this.managers.map((m) => m.stopped()));
  }
}
