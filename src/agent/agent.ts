/**
 * The node agent as one Runnable: the built-in images, containerd (or an existing CRI runtime
 * from --container-runtime-endpoint), airgap image import, Node registration with its pod
 * CIDR and CNI config, the node lease and status loops, and the pod workers. start() resolves
 * once pods are being synced; the node turns Ready when the runtime reports its network ready.
 */
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ApiClient } from '../client/index.js';
import { EventRecorder } from '../client/index.js';
import type { Config } from '../config/index.js';
import { logger } from '../log/index.js';
import type { Runnable } from '../supervisor/runnable.js';
import { ServiceProxy } from '../proxy/index.js';
import { GIT_VERSION } from '../version.js';
import { pickResolvConf } from '../dns/upstream.js';
import { writeConflist } from './cni/conflist.js';
import { ensurePodMasquerade } from './cni/masquerade.js';
import { Containerd, containerdPaths, hasCapSysResource } from './containerd/index.js';
import { CriClient } from './cri/index.js';
import { ensureBuiltinImages, PAUSE_IMAGE } from './images/builtin.js';
import { ImageImporter } from './images/importer.js';
import { defaultNodeIP } from '../config/net.js';
import { interfaceIPv4, machineInfo } from './node/machine.js';
import { NodeManager } from './node/node-manager.js';
import { parseLabel, parseTaint } from './node/node-object.js';
import { PodManager } from './pods/manager.js';
import { PodSync } from './pods/sync.js';
import { loadRegistries, writeHostsTree } from './registries/index.js';
import { privatizeCopiedUpDirs } from './rootless-dirs.js';
import { StaticPods } from './static-pods/index.js';
import { ControllerManager } from '../controllers/manager.js';
import { NetworkPolicyController } from '../netpol/index.js';
import { NodeStatsCollector, usageToJson } from './stats/collector.js';
import { KubeletApi } from './kubelet-api/index.js';

const log = logger('agent');

export const DEFAULT_DATA_DIR = '/var/lib/rancher/k3s';

export interface AgentOptions {
  /**
   * The API: loopback in `k3s server`, HTTPS for a remote agent. A function is called at
   * start (the server's loopback client exists only once its API server runs).
   */
  readonly client: ApiClient | (() => ApiClient);
  /** Servers label their node as control-plane. */
  readonly controlPlane: boolean;
  /** CNI bridge name (default cni0); tests running several nodes on one host give each its own. */
  readonly bridge?: string;
  /** When the process started, for the "node is Ready" timing log. */
  readonly startedAt?: number;
  /**
   * The kubelet API (logs, exec, attach, port-forward for the API server): its port (upstream
   * 10250; 0 picks one) and its TLS material, asked for with the node's addresses as SANs.
   * Without it the node serves no kubelet API.
   */
  readonly kubeletApi?: {
    readonly port: number;
    readonly tls: (names: readonly string[]) => Promise<{ certPem: string; keyPem: string; clientCaPem: string }>;
  };
}

export class Agent implements Runnable {
  readonly name = 'agent';
  #containerd: Containerd | undefined;
  #cri: CriClient | undefined;
  #stopped: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: Config,
    private readonly options: AgentOptions,
  ) {}

  /** The CRI socket in use (valid after start). */
  get criSocket(): string | undefined {
    return this.#cri?.endpoint;
  }

  get containerd(): Containerd | undefined {
    return this.#containerd;
  }

  async start(outer: AbortSignal): Promise<void> {
    // A start that fails half way must not leave containerd running: stop what was started.
    const inner = new AbortController();
    const forward = (): void => inner.abort(outer.reason);
    if (outer.aborted) forward();
    else outer.addEventListener('abort', forward, { once: true });
    try {
      await this.#start(inner.signal);
    } catch (err) {
      inner.abort(err);
      await this.#containerd?.stopped();
      this.#cri?.close();
      throw err;
    }
  }

  async #start(signal: AbortSignal): Promise<void> {
    const { config } = this;
    const client = typeof this.options.client === 'function' ? this.options.client() : this.options.client;
    const t0 = performance.now();
    const agentDir = join(config.dataDir, 'agent');
    const imagesDir = join(agentDir, 'images');
    const paths = containerdPaths(config.dataDir, { rootless: config.rootless, defaultDataDir: config.dataDir === DEFAULT_DATA_DIR });
    const external = config.agent.containerRuntimeEndpoint;
    const tasks: Promise<unknown>[] = [];
    let socket: string;
    if (external) {
      socket = external;
    } else {
      if (config.rootless) privatizeCopiedUpDirs();
      ensureBuiltinImages(imagesDir);
      const registry = writeHostsTree(join(dirname(paths.configFile), 'certs.d'), loadRegistries(config.agent.privateRegistry));
      for (const warning of registry.warnings) log.warn({ file: config.agent.privateRegistry }, warning);
      this.#containerd = new Containerd({ paths, sandboxImage: PAUSE_IMAGE, snapshotter: 'overlayfs', rootless: config.rootless, restrictOomScoreAdj: !hasCapSysResource(), registry });
      await this.#containerd.start(signal);
      tasks.push(this.#containerd.stopped());
      socket = paths.socket;
    }
    const cri = new CriClient(socket);
    this.#cri = cri;
    const version = await cri.version(10_000);
    const runtimeVersion = `${version.runtimeName}://${version.runtimeVersion}`;
    if (!external) await new ImageImporter(imagesDir, socket).start(signal);

    const machine = machineInfo(config.dataDir);
    const nodeIP = config.agent.nodeIPs[0] ?? (config.agent.flannelIface ? interfaceIPv4(config.agent.flannelIface) : defaultNodeIP());
    let kubeletPort = this.options.kubeletApi?.port ?? 10250;
    if (this.options.kubeletApi) {
      const tls = await this.options.kubeletApi.tls([config.nodeName, osHostname(), nodeIP, ...config.agent.nodeIPs, '127.0.0.1', 'localhost']);
      const usage = new NodeStatsCollector(config.nodeName, { criSocket: () => socket, rootless: config.rootless });
      const api = new KubeletApi({ cri, tls, host: '0.0.0.0', port: kubeletPort, usage: async () => usageToJson(await usage.snapshot()) });
      await api.start(signal);
      kubeletPort = api.port;
    }
    const nodes = new NodeManager(
      client,
      cri,
      {
        name: config.nodeName,
        controlPlane: this.options.controlPlane,
        labels: Object.fromEntries(config.agent.nodeLabels.map(parseLabel)),
        taints: config.agent.nodeTaints.map(parseTaint),
        nodeIP,
        hostname: osHostname(),
        kubeletVersion: GIT_VERSION,
        kubeletPort,
      },
      machine,
      runtimeVersion,
      config.cluster.clusterCidrs[0] ?? '10.42.0.0/16',
    );
    const podCidr = await nodes.register();
    // --flannel-backend=none: the user installs a CNI plugin (the node is Ready once its config appears).
    let masquerade: Promise<void> = Promise.resolve();
    if (config.agent.flannelBackend === 'none') log.info({ cniConfDir: paths.cniConfDir }, 'flannel backend none: no CNI config written, waiting for one to be installed');
    else {
      masquerade = ensurePodMasquerade({ podCidr, clusterCidr: config.cluster.clusterCidrs.find((c) => !c.includes(':')) ?? '10.42.0.0/16' });
      masquerade.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
      writeConflist(paths.cniConfDir, {
        podCidr,
        bridge: this.options.bridge ?? 'cni0',
        mtu: config.rootless ? config.rootlessSettings.mtu : 1500,
        ipamDataDir: join(paths.state, '..', 'cni', 'networks'),
      });
    }
    await cri.updatePodCidr(podCidr).catch((err: unknown) => log.debug({ err }, 'UpdateRuntimeConfig failed (harmless)'));

    const events = new EventRecorder(client, { component: 'kubelet', host: config.nodeName }, (err) => log.debug({ err }, 'recording an event failed'));
    // The sync loop asks the manager (built next, around it) to requeue pods.
    const holder: { pods?: PodManager } = {};
    const sync = new PodSync(
      cri,
      client,
      events,
      {
        nodeName: config.nodeName,
        nodeIP,
        podsDir: join(agentDir, 'kubelet', 'pods'),
        sandbox: {
          clusterDns: config.cluster.clusterDns,
          clusterDomain: config.cluster.clusterDomain,
          podLogsDir: config.dataDir === DEFAULT_DATA_DIR && !config.rootless ? '/var/log/pods' : join(agentDir, 'logs', 'pods'),
          resolvConf: pickResolvConf(config.agent.resolvConf) ?? '/etc/resolv.conf',
        },
        rootless: config.rootless,
        machine: { cpus: machine.cpus, memoryBytes: machine.memoryKi * 1024 },
      },
      (key, ms) => holder.pods?.requeue(key, ms),
    );
    if (!config.components.disableKubeProxy) {
      // Before the pods: after a restart they come back at once and expect Services (cluster DNS first) to work.
      const proxy = new ServiceProxy({ client, nodeName: config.nodeName, ...(config.cluster.clusterCidrs[0] ? { clusterCidr: config.cluster.clusterCidrs[0] } : {}) });
      await proxy.start(signal);
      tasks.push(proxy.stopped());
    }
    if (!config.components.disableNetworkPolicy) {
      // Per node, not leader-elected: each node enforces policy for its own pods. Started before
      // the pods, so after a restart they come back under their policies as soon as possible.
      const netpol = new ControllerManager(client, () => [new NetworkPolicyController({ nodeName: config.nodeName })], { leaseName: 'network-policy', leaderElection: false });
      await netpol.start(signal);
      tasks.push(netpol.stopped());
    }
    const statics = new StaticPods(client, join(agentDir, 'pod-manifests'), config.nodeName, (key) => holder.pods?.requeue(key, 0));
    const pods = new PodManager(client, cri, sync, config.nodeName, statics);
    holder.pods = pods;
    // Pods that reach out need it; it ran alongside the steps above.
    await masquerade;
    statics.start(signal);
    await pods.start(signal);
    tasks.push(pods.stopped(), statics.stopped(), nodes.run(signal));
    void this.#reportReadySoon(nodes, signal, t0);
    log.info({ node: config.nodeName, podCIDR: podCidr, nodeIP, runtime: runtimeVersion, ms: Math.round(performance.now() - t0) }, 'agent started');
    this.#stopped = Promise.allSettled(tasks).then(() => cri.close());
  }

  /** containerd picks up the CNI config asynchronously: report Ready as soon as it has. */
  async #reportReadySoon(nodes: NodeManager, signal: AbortSignal, t0: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!signal.aborted && Date.now() < deadline) {
      if ((await nodes.runtimeProblem()) === undefined) {
        await nodes.reportStatus().catch((err: unknown) => log.warn({ err }, 'reporting node status failed'));
        log.info({ agentMs: Math.round(performance.now() - t0), sinceProcessStartMs: Math.round(performance.now()) }, 'node is Ready');
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stopped(): Promise<void> {
    return this.#stopped;
  }
}
