/**
 * A typed CRI v1 client over a unix socket (containerd's CRI plugin, or any runtime given with
 * --container-runtime-endpoint). Every call has a deadline so a wedged runtime surfaces as an
 * error the pod workers retry, never a hung worker.
 */
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, Metadata, status as GrpcStatus, type Client, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type {
  AuthConfig,
  Container,
  ContainerConfig,
  ContainerStats,
  ContainerState,
  ContainerStatus,
  ExecSyncResult,
  Image,
  Labels,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxState,
  PodSandboxStatus,
  RuntimeCondition,
  VersionResponse,
} from './types.js';

type Unary = (request: unknown, metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, response: unknown) => void) => void;

let constructors: { runtime: ServiceClientConstructor; image: ServiceClientConstructor } | undefined;

function load(): { runtime: ServiceClientConstructor; image: ServiceClientConstructor } {
  if (constructors) return constructors;
  const definition = loadSync(fileURLToPath(new URL('./api.proto', import.meta.url)), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = loadPackageDefinition(definition) as unknown as { runtime: { v1: { RuntimeService: ServiceClientConstructor; ImageService: ServiceClientConstructor } } };
  constructors = { runtime: pkg.runtime.v1.RuntimeService, image: pkg.runtime.v1.ImageService };
  return constructors;
}

/** A CRI call that failed: the gRPC code and the runtime's message. */
export class CriError extends Error {
  override readonly name = 'CriError';
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`CRI ${method}: ${details || `gRPC status ${code}`}`);
  }
  get notFound(): boolean {
    return this.code === GrpcStatus.NOT_FOUND;
  }
}

export interface CriClientOptions {
  /** Deadline for ordinary calls (default 2 min: image pulls and sandbox creation can be slow). */
  readonly timeoutMs?: number;
}

export class CriClient {
  readonly #runtime: Client;
  readonly #image: Client;
  readonly #timeoutMs: number;

  /** `endpoint`: a socket path or unix:// URL. */
  constructor(
    readonly endpoint: string,
    options: CriClientOptions = {},
  ) {
    const { runtime, image } = load();
    const target = endpoint.startsWith('unix://') ? endpoint : `unix://${endpoint}`;
    // Large messages: ListContainers on a busy node and ExecSync output can exceed 4 MiB.
    const channelOptions = { 'grpc.max_receive_message_length': 32 * 1024 * 1024 };
    this.#runtime = new runtime(target, credentials.createInsecure(), channelOptions);
    this.#image = new image(target, credentials.createInsecure(), channelOptions);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  close(): void {
    this.#runtime.close();
    this.#image.close();
  }

  #call<T>(client: Client, method: string, request: unknown, timeoutMs = this.#timeoutMs): Promise<T> {
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (!fn) return Promise.reject(new Error(`internal: CRI method ${method} is not in api.proto`));
    return new Promise((resolve, reject) => {
      fn.call(client, request, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, response) => {
        if (err) reject(new CriError(method, err.code, err.details));
        else resolve(response as T);
      });
    });
  }

  // RuntimeService

  version(timeoutMs?: number): Promise<VersionResponse> {
    return this.#call(this.#runtime, 'Version', { version: 'v1' }, timeoutMs);
  }

  async status(): Promise<RuntimeCondition[]> {
    const response = await this.#call<{ status?: { conditions: RuntimeCondition[] } }>(this.#runtime, 'Status', {});
    return response.status?.conditions ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return (await this.#call<{ podSandboxId: string }>(this.#runtime, 'RunPodSandbox', { config })).podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.#call(this.#runtime, 'StopPodSandbox', { podSandboxId });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.#call(this.#runtime, 'RemovePodSandbox', { podSandboxId });
  }

  async podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus> {
    const response = await this.#call<{ status: PodSandboxStatus }>(this.#runtime, 'PodSandboxStatus', { podSandboxId });
    return response.status;
  }

  async listPodSandbox(filter: { labelSelector?: Labels; state?: PodSandboxState } = {}): Promise<PodSandbox[]> {
    const request = { filter: { labelSelector: filter.labelSelector ?? {}, ...(filter.state ? { state: { state: filter.state } } : {}) } };
    return (await this.#call<{ items: PodSandbox[] }>(this.#runtime, 'ListPodSandbox', request)).items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return (await this.#call<{ containerId: string }>(this.#runtime, 'CreateContainer', { podSandboxId, config, sandboxConfig })).containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.#call(this.#runtime, 'StartContainer', { containerId });
  }

  /** Stops with a grace period; the runtime sends SIGKILL after `timeoutSeconds`. */
  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    await this.#call(this.#runtime, 'StopContainer', { containerId, timeout: timeoutSeconds }, this.#timeoutMs + timeoutSeconds * 1000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.#call(this.#runtime, 'RemoveContainer', { containerId });
  }

  /** Usage of this runtime's containers (cumulative CPU ns, working set bytes); zero values where it has no cgroups. */
  async listContainerStats(labelSelector: Labels = {}): Promise<ContainerStats[]> {
    return (await this.#call<{ stats: ContainerStats[] }>(this.#runtime, 'ListContainerStats', { filter: { labelSelector } }, 30_000)).stats;
  }

  async listContainers(filter: { podSandboxId?: string; labelSelector?: Labels; state?: ContainerState } = {}): Promise<Container[]> {
    const request = {
      filter: { podSandboxId: filter.podSandboxId ?? '', labelSelector: filter.labelSelector ?? {}, ...(filter.state ? { state: { state: filter.state } } : {}) },
    };
    return (await this.#call<{ containers: Container[] }>(this.#runtime, 'ListContainers', request)).containers;
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    return (await this.#call<{ status: ContainerStatus }>(this.#runtime, 'ContainerStatus', { containerId })).status;
  }

  async execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    return this.#call(this.#runtime, 'ExecSync', { containerId, cmd, timeout: timeoutSeconds }, (timeoutSeconds + 5) * 1000);
  }

  /**
   * A one-time URL on the runtime's streaming server for an interactive exec (containerd's
   * serves SPDY/3.1 remotecommand and the channel.k8s.io WebSocket protocols, up to v4).
   */
  async exec(request: { containerId: string; cmd: readonly string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string> {
    return (await this.#call<{ url: string }>(this.#runtime, 'Exec', request, 10_000)).url;
  }

  async attach(request: { containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string> {
    return (await this.#call<{ url: string }>(this.#runtime, 'Attach', request, 10_000)).url;
  }

  /** The URL for port forwarding into a sandbox's network namespace (ports are named per stream). */
  async portForward(podSandboxId: string, ports: readonly number[] = []): Promise<string> {
    return (await this.#call<{ url: string }>(this.#runtime, 'PortForward', { podSandboxId, port: ports }, 10_000)).url;
  }

  async updatePodCidr(podCidr: string): Promise<void> {
    await this.#call(this.#runtime, 'UpdateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr } } });
  }

  // ImageService

  async listImages(): Promise<Image[]> {
    return (await this.#call<{ images: Image[] }>(this.#image, 'ListImages', { filter: {} })).images;
  }

  /** The image, or undefined when the runtime does not have it. */
  async imageStatus(image: string): Promise<Image | undefined> {
    const response = await this.#call<{ image?: Image | null }>(this.#image, 'ImageStatus', { image: { image } });
    return response.image ?? undefined;
  }

  async pullImage(image: string, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig): Promise<string> {
    const request = { image: { image }, ...(auth ? { auth } : {}), ...(sandboxConfig ? { sandboxConfig } : {}) };
    return (await this.#call<{ imageRef: string }>(this.#image, 'PullImage', request)).imageRef;
  }

  async removeImage(image: string): Promise<void> {
    await this.#call(this.#image, 'RemoveImage', { image: { image } });
  }
}
